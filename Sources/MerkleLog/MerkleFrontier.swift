/// The right edge of a growing Merkle tree: one hash per set bit of the tree size.
///
/// Appending is amortised O(1) hashes and memory is O(log n), so a tree of any size can be
/// recomputed while streaming its leaves (RFC 9162's MTH, never padded, left-heavy).
public struct MerkleFrontier: Sendable {
    /// Perfect subtree roots from the largest (leftmost) to the smallest, with their heights.
    private var stack: [(height: Int, hash: TreeHash)] = []
    /// The number of leaves appended so far.
    public private(set) var size: UInt64 = 0

    /// An empty frontier.
    public init() {}

    /// Resumes a frontier saved with `hashes` (one hash per set bit of `size`, largest first).
    /// - returns: nil when the count does not match `size`.
    public init?(size: UInt64, hashes: [TreeHash]) {
        guard hashes.count == size.nonzeroBitCount else { return nil }
        let heights = (0..<64).reversed().filter { size & (1 << UInt64($0)) != 0 }
        self.stack = zip(heights, hashes).map { ($0, $1) }
        self.size = size
    }

    /// The perfect subtree roots of the right edge, largest first (what `init(size:hashes:)` takes).
    public var hashes: [TreeHash] { stack.map(\.hash) }

    /// Appends one leaf hash.
    public mutating func append(_ leafHash: TreeHash) {
        var carry = leafHash
        var height = 0
        while let last = stack.last, last.height == height {
            stack.removeLast()
            carry = RFC6962.nodeHash(last.hash, carry)
            height += 1
        }
        stack.append((height, carry))
        size += 1
    }

    /// The Merkle tree hash of all leaves appended so far.
    public var root: TreeHash {
        guard var accumulator = stack.last?.hash else { return RFC6962.emptyRoot }
        for item in stack.dropLast().reversed() {
            accumulator = RFC6962.nodeHash(item.hash, accumulator)
        }
        return accumulator
    }
}
