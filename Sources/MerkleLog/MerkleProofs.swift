/// Building RFC 9162 inclusion and consistency proofs (§2.1.3.1, §2.1.4.1).
///
/// Proofs are first planned as leaf ranges, pure arithmetic on the index and sizes, and then
/// filled in with one batched read of perfect-subtree hashes from a `NodeSource`.
public enum MerkleProofs {
    /// The largest power of two strictly less than `n` (n ≥ 2).
    @inlinable static func splitPoint(_ n: UInt64) -> UInt64 {
        1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }

    /// The leaf ranges whose tree hashes form the inclusion proof of `index` in a tree of `size`,
    /// from the leaf upwards.
    /// - throws: `MerkleError.indexOutOfRange` when `index >= size`.
    public static func inclusionRanges(index: UInt64, size: UInt64) throws -> [Range<UInt64>] {
        guard index < size else { throw MerkleError.indexOutOfRange(index: index, size: size) }
        var ranges: [Range<UInt64>] = []
        var low: UInt64 = 0
        var high = size
        // Walk down from the root, then reverse: the proof lists the deepest sibling first.
        while high - low > 1 {
            let k = splitPoint(high - low)
            if index < low + k {
                ranges.append((low + k)..<high)
                high = low + k
            } else {
                ranges.append(low..<(low + k))
                low += k
            }
        }
        return ranges.reversed()
    }

    /// The leaf ranges whose tree hashes form the consistency proof from `oldSize` to `newSize`.
    /// - throws: `MerkleError.invalidConsistencyRange` unless `0 < oldSize <= newSize`.
    public static func consistencyRanges(from oldSize: UInt64, to newSize: UInt64) throws -> [Range<UInt64>] {
        guard oldSize > 0, oldSize <= newSize else {
            throw MerkleError.invalidConsistencyRange(from: oldSize, to: newSize)
        }
        var ranges: [Range<UInt64>] = []
        var m = oldSize
        var low: UInt64 = 0
        var high = newSize
        var completeSubtree = true
        while true {
            let n = high - low
            if m == n {
                if !completeSubtree { ranges.append(low..<high) }
                break
            }
            let k = splitPoint(n)
            if m <= k {
                ranges.append((low + k)..<high)
                high = low + k
            } else {
                ranges.append(low..<(low + k))
                low += k
                m -= k
                completeSubtree = false
            }
        }
        return ranges.reversed()
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    /// - throws: `MerkleError.indexOutOfRange`, or what `source` throws.
    public static func inclusionProof(index: UInt64, size: UInt64, source: some NodeSource) throws -> [TreeHash] {
        try resolve(try inclusionRanges(index: index, size: size), source: source)
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` leaves.
    /// - throws: `MerkleError.invalidConsistencyRange`, or what `source` throws.
    public static func consistencyProof(from oldSize: UInt64, to newSize: UInt64, source: some NodeSource) throws -> [TreeHash] {
        try resolve(try consistencyRanges(from: oldSize, to: newSize), source: source)
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: UInt64, source: some NodeSource) throws -> TreeHash {
        try source.rangeRoot(0..<size)
    }

    /// Reads every node the ranges need in one batch and folds each range into its tree hash.
    static func resolve(_ ranges: [Range<UInt64>], source: some NodeSource) throws -> [TreeHash] {
        let plans = ranges.map(NodeID.decompose)
        let hashes = try source.hashes(of: plans.flatMap { $0 })
        var result: [TreeHash] = []
        result.reserveCapacity(plans.count)
        var offset = 0
        for plan in plans {
            result.append(fold(hashes[offset..<(offset + plan.count)]))
            offset += plan.count
        }
        return result
    }

    /// Combines the perfect subtrees of one range, largest first, into the range's tree hash.
    static func fold<C: BidirectionalCollection>(_ hashes: C) -> TreeHash where C.Element == TreeHash {
        guard var accumulator = hashes.last else { return RFC6962.emptyRoot }
        for hash in hashes.dropLast().reversed() {
            accumulator = RFC6962.nodeHash(hash, accumulator)
        }
        return accumulator
    }
}
