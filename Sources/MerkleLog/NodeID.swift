/// A perfect subtree of a Merkle tree: the node at `level` (0 = leaves) and `index`, covering
/// leaves `index << level ..< (index + 1) << level`.
public struct NodeID: Hashable, Sendable, CustomStringConvertible {
    /// Height above the leaves.
    public let level: Int
    /// Position among the nodes of the same level, from the left.
    public let index: UInt64

    /// Creates a node identifier.
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    /// The leaves the node covers.
    public var leafRange: Range<UInt64> { (index << UInt64(level))..<((index + 1) << UInt64(level)) }

    public var description: String { "node(level \(level), index \(index))" }

    /// The perfect subtrees whose concatenation is the leaf range `range`, largest first.
    ///
    /// Every range that RFC 9162's MTH recursion produces starts at a multiple of a power of two
    /// at least as large as the range, so it splits by the binary digits of its length.
    /// - precondition: `range.lowerBound` is aligned as described.
    public static func decompose(_ range: Range<UInt64>) -> [NodeID] {
        var nodes: [NodeID] = []
        var position = range.lowerBound
        var remaining = range.upperBound - range.lowerBound
        while remaining > 0 {
            let level = 63 - remaining.leadingZeroBitCount
            nodes.append(NodeID(level: level, index: position >> UInt64(level)))
            position += 1 << UInt64(level)
            remaining -= 1 << UInt64(level)
        }
        return nodes
    }
}
