/// Where proof building reads perfect-subtree hashes from: memory, a database, tiles.
public protocol NodeSource {
    /// The hashes of the given perfect subtrees, in the same order.
    /// - throws: whatever the source throws when it cannot read a node.
    func hashes(of nodes: [NodeID]) throws -> [TreeHash]
}

extension NodeSource {
    /// The Merkle tree hash of an aligned leaf range (see `NodeID.decompose`).
    public func rangeRoot(_ range: Range<UInt64>) throws -> TreeHash {
        if range.isEmpty { return RFC6962.emptyRoot }
        return MerkleProofs.fold(try hashes(of: NodeID.decompose(range)))
    }
}
