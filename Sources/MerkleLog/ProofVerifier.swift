/// Checking RFC 9162 inclusion and consistency proofs (§2.1.3.2, §2.1.4.2).
///
/// The wrapper rules follow transparency-dev/merkle's `proof/verify.go`, which any RFC 6962
/// verifier agrees with: a consistency proof from size 0 is meaningless, equal sizes need an
/// empty proof, and every hash must be 32 bytes.
public enum ProofVerifier {
    /// Checks that the leaf hash at `index` is in the tree of `size` leaves whose root is `root`.
    /// - throws: `MerkleError` naming what does not hold.
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]) throws {
        let computed = try rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof)
        guard let expected = TreeHash(bytes: root), computed.constantTimeEquals(expected) else {
            throw MerkleError.rootMismatch(computed: computed, expected: Hex.encode(root))
        }
    }

    /// The root that an inclusion proof leads to, for comparison with a trusted root.
    /// - throws: `MerkleError` for an index outside the tree, a malformed hash or a wrong length.
    public static func rootFromInclusionProof(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]]) throws -> TreeHash {
        guard index < size else { throw MerkleError.indexOutOfRange(index: index, size: size) }
        guard let leaf = TreeHash(bytes: leafHash) else {
            throw MerkleError.malformedHash(what: "the leaf hash", byteCount: leafHash.count)
        }
        let path = try parse(proof)
        let expectedLength = try MerkleProofs.inclusionRanges(index: index, size: size).count
        guard path.count == expectedLength else {
            throw MerkleError.wrongProofLength(got: path.count, want: expectedLength)
        }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in path {
            guard sn != 0 else { throw MerkleError.wrongProofLength(got: path.count, want: expectedLength) }
            if fn & 1 == 1 || fn == sn {
                r = RFC6962.nodeHash(p, r)
                if fn & 1 == 0 {
                    repeat { fn >>= 1; sn >>= 1 } while fn & 1 == 0 && fn != 0
                }
            } else {
                r = RFC6962.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleError.wrongProofLength(got: path.count, want: expectedLength) }
        return r
    }

    /// Checks that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot`.
    /// - throws: `MerkleError` naming what does not hold.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) throws {
        guard oldSize <= newSize else { throw MerkleError.invalidConsistencyRange(from: oldSize, to: newSize) }
        guard oldSize > 0 else { throw MerkleError.consistencyFromEmptyTree }
        if oldSize == newSize {
            guard proof.isEmpty, oldRoot == newRoot else {
                throw MerkleError.sameSizeMismatch
            }
            return
        }
        guard !proof.isEmpty else { throw MerkleError.emptyProof }
        guard let first = TreeHash(bytes: oldRoot) else {
            throw MerkleError.malformedHash(what: "the old root", byteCount: oldRoot.count)
        }
        guard let second = TreeHash(bytes: newRoot) else {
            throw MerkleError.malformedHash(what: "the new root", byteCount: newRoot.count)
        }
        var path = try parse(proof)
        let expectedLength = try MerkleProofs.consistencyRanges(from: oldSize, to: newSize).count
        guard path.count == expectedLength else {
            throw MerkleError.wrongProofLength(got: path.count, want: expectedLength)
        }
        if oldSize & (oldSize - 1) == 0 { path.insert(first, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw MerkleError.wrongProofLength(got: proof.count, want: expectedLength) }
            if fn & 1 == 1 || fn == sn {
                fr = RFC6962.nodeHash(c, fr)
                sr = RFC6962.nodeHash(c, sr)
                if fn & 1 == 0 {
                    repeat { fn >>= 1; sn >>= 1 } while fn & 1 == 0 && fn != 0
                }
            } else {
                sr = RFC6962.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleError.wrongProofLength(got: proof.count, want: expectedLength) }
        guard fr.constantTimeEquals(first) else {
            throw MerkleError.rootMismatch(computed: fr, expected: first.hex)
        }
        guard sr.constantTimeEquals(second) else {
            throw MerkleError.rootMismatch(computed: sr, expected: second.hex)
        }
    }

    private static func parse(_ proof: [[UInt8]]) throws -> [TreeHash] {
        try proof.enumerated().map { offset, bytes in
            guard let hash = TreeHash(bytes: bytes) else {
                throw MerkleError.malformedHash(what: "proof element \(offset)", byteCount: bytes.count)
            }
            return hash
        }
    }
}
