import Foundation
/// A Merkle tree held in memory with every perfect subtree hash: the reference `NodeSource`
/// for tests and small trees.
public struct InMemoryTree: NodeSource, Sendable {
    /// `levels[h][i]` is the hash of the perfect subtree of height `h` at index `i`.
    private var levels: [[TreeHash]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree over the given entries.
    public init<Entries: Sequence>(entries: Entries) where Entries.Element: ContiguousBytes {
        for entry in entries { append(leafHash: RFC6962.leafHash(entry)) }
    }

    /// The number of leaves.
    public var size: UInt64 { UInt64(levels[0].count) }

    /// Appends one leaf hash and every perfect subtree it completes.
    public mutating func append(leafHash: TreeHash) {
        levels[0].append(leafHash)
        var height = 0
        while levels[height].count % 2 == 0 {
            let row = levels[height]
            let parent = RFC6962.nodeHash(row[row.count - 2], row[row.count - 1])
            if levels.count == height + 1 { levels.append([]) }
            levels[height + 1].append(parent)
            height += 1
        }
    }

    /// The hash of a perfect subtree, if the tree has it.
    public func hash(of node: NodeID) -> TreeHash? {
        guard node.level < levels.count, node.index < UInt64(levels[node.level].count) else { return nil }
        return levels[node.level][Int(node.index)]
    }

    public func hashes(of nodes: [NodeID]) throws -> [TreeHash] {
        try nodes.map { node in
            guard let hash = hash(of: node) else {
                throw MerkleError.indexOutOfRange(index: node.leafRange.upperBound - 1, size: size)
            }
            return hash
        }
    }

    /// The root of the first `size` leaves (the whole tree by default).
    public func root(size: UInt64? = nil) -> TreeHash {
        (try? rangeRoot(0..<(size ?? self.size))) ?? RFC6962.emptyRoot
    }
}
