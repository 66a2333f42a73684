import Testing
@testable import MerkleLog

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func flipBit(_ bytes: [UInt8], _ bit: Int) -> [UInt8] {
    var copy = bytes
    copy[bit / 8] ^= UInt8(1 << (bit % 8))
    return copy
}

@Suite("Proof properties over random trees")
struct ProofPropertyTests {
    static let tree: InMemoryTree = {
        var tree = InMemoryTree()
        for i in 0..<1100 { tree.append(leafHash: RFC6962.leafHash(Array("entry \(i)".utf8))) }
        return tree
    }()

    @Test(arguments: [1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 1000, 1024, 1100] as [UInt64])
    func everyInclusionProofVerifiesAndAnyBitFlipFails(size: UInt64) throws {
        var rng = SeededGenerator(state: size)
        let root = Self.tree.root(size: size).bytes
        for _ in 0..<20 {
            let index = UInt64.random(in: 0..<size, using: &rng)
            let leaf = Self.tree.hash(of: NodeID(level: 0, index: index))!.bytes
            let proof = try MerkleProofs.inclusionProof(index: index, size: size, source: Self.tree).map(\.bytes)
            try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof, root: root)

            // One flipped bit anywhere (leaf, any proof element, root) must fail.
            let bit = Int.random(in: 0..<256, using: &rng)
            #expect(throws: MerkleError.self) {
                try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: flipBit(leaf, bit), proof: proof, root: root)
            }
            #expect(throws: MerkleError.self) {
                try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof, root: flipBit(root, bit))
            }
            for element in proof.indices {
                var bad = proof
                bad[element] = flipBit(bad[element], bit)
                #expect(throws: MerkleError.self) {
                    try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: leaf, proof: bad, root: root)
                }
            }
            // The proof of one index does not prove a neighbour.
            if size > 1 {
                let other = (index + 1) % size
                #expect(throws: MerkleError.self) {
                    try ProofVerifier.verifyInclusion(index: other, size: size, leafHash: leaf, proof: proof, root: root)
                }
            }
        }
    }

    @Test(arguments: [2, 3, 8, 9, 100, 256, 257, 1000, 1100] as [UInt64])
    func everyConsistencyProofVerifiesAndAnyBitFlipFails(size: UInt64) throws {
        var rng = SeededGenerator(state: size &* 31)
        let newRoot = Self.tree.root(size: size).bytes
        for _ in 0..<20 {
            let old = UInt64.random(in: 1..<size, using: &rng)
            let oldRoot = Self.tree.root(size: old).bytes
            let proof = try MerkleProofs.consistencyProof(from: old, to: size, source: Self.tree).map(\.bytes)
            try ProofVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: proof)

            let bit = Int.random(in: 0..<256, using: &rng)
            #expect(throws: MerkleError.self) {
                try ProofVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: flipBit(oldRoot, bit), newRoot: newRoot, proof: proof)
            }
            #expect(throws: MerkleError.self) {
                try ProofVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: flipBit(newRoot, bit), proof: proof)
            }
            for element in proof.indices {
                var bad = proof
                bad[element] = flipBit(bad[element], bit)
                #expect(throws: MerkleError.self) {
                    try ProofVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: bad)
                }
            }
        }
    }

    @Test func proofsOutsideTheTreeAreRefused() {
        #expect(throws: MerkleError.indexOutOfRange(index: 5, size: 5)) {
            try MerkleProofs.inclusionProof(index: 5, size: 5, source: Self.tree)
        }
        #expect(throws: MerkleError.invalidConsistencyRange(from: 0, to: 5)) {
            try MerkleProofs.consistencyProof(from: 0, to: 5, source: Self.tree)
        }
        #expect(throws: MerkleError.invalidConsistencyRange(from: 6, to: 5)) {
            try MerkleProofs.consistencyProof(from: 6, to: 5, source: Self.tree)
        }
        #expect(throws: MerkleError.self) {
            try MerkleProofs.inclusionProof(index: 0, size: 2000, source: Self.tree)
        }
    }
}
