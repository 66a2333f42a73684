import Foundation
import Testing
@testable import MerkleLog

@Suite("RFC 6962 classic vectors (transparency-dev/merkle)")
struct RFC6962VectorTests {
    let vectors: ClassicVectors

    init() throws {
        vectors = try Vectors.load(ClassicVectors.self, "rfc6962_classic.json")
    }

    @Test func hasherVectors() throws {
        #expect(vectors.hasher.count == 4)
        for item in vectors.hasher {
            let got: TreeHash
            if let leaf = item.leaf_hex {
                got = RFC6962.leafHash(hex(leaf))
            } else if let left = item.left_hex, let right = item.right_hex {
                got = RFC6962.nodeHash(rawLeft: hex(left), rawRight: hex(right))
            } else {
                got = RFC6962.emptyRoot
            }
            #expect(got.hex == item.want, "\(item.desc)")
        }
    }

    @Test func rootsForEverySize() {
        var tree = InMemoryTree()
        #expect(tree.root() == RFC6962.emptyRoot)
        for (offset, leaf) in vectors.leaves.enumerated() {
            tree.append(leafHash: RFC6962.leafHash(leaf))
            let size = UInt64(offset + 1)
            #expect(tree.root().bytes == vectors.root(size), "size \(size)")
            #expect(RFC6962.rootHash(leafHashes: vectors.leaves.prefix(offset + 1).map { RFC6962.leafHash($0) }).bytes == vectors.root(size))
        }
    }

    @Test func inclusionProofsAreBuiltAndVerified() throws {
        let tree = InMemoryTree(entries: vectors.leaves)
        for item in vectors.inclusion {
            let built = try MerkleProofs.inclusionProof(index: item.leaf_index, size: item.tree_size, source: tree)
            #expect(built.map(\.hex) == item.proof, "leaf \(item.leaf_index) of \(item.tree_size)")
            try ProofVerifier.verifyInclusion(
                index: item.leaf_index, size: item.tree_size,
                leafHash: RFC6962.leafHash(vectors.leaves[Int(item.leaf_index)]).bytes,
                proof: item.proof.map(hex), root: vectors.root(item.tree_size))
        }
    }

    @Test func consistencyProofsAreBuiltAndVerified() throws {
        let tree = InMemoryTree(entries: vectors.leaves)
        for item in vectors.consistency {
            if item.size1 == item.size2 {
                #expect(item.proof.isEmpty)
            } else {
                let built = try MerkleProofs.consistencyProof(from: item.size1, to: item.size2, source: tree)
                #expect(built.map(\.hex) == item.proof, "\(item.size1) → \(item.size2)")
            }
            try ProofVerifier.verifyConsistency(
                oldSize: item.size1, newSize: item.size2,
                oldRoot: vectors.root(item.size1), newRoot: vectors.root(item.size2),
                proof: item.proof.map(hex))
        }
    }
}

@Suite("transparency-dev/merkle probes")
struct TransparencyDevProbeTests {
    @Test func all98InclusionProbesPassExactlyWhenWantErrIsFalse() throws {
        let files = try Vectors.files(under: "tdmerkle/inclusion")
        #expect(files.count == 98)
        for file in files {
            let probe = try JSONDecoder().decode(InclusionProbe.self, from: Data(contentsOf: file))
            let outcome = Result {
                try ProofVerifier.verifyInclusion(
                    index: probe.leafIdx, size: probe.treeSize, leafHash: base64(probe.leafHash),
                    proof: (probe.proof ?? []).map { base64($0) }, root: base64(probe.root))
            }
            let failed = (try? outcome.get()) == nil
            #expect(failed == probe.wantErr, "\(file.lastPathComponent): \(probe.desc)")
        }
    }

    @Test func all98ConsistencyProbesPassExactlyWhenWantErrIsFalse() throws {
        let files = try Vectors.files(under: "tdmerkle/consistency")
        #expect(files.count == 98)
        for file in files {
            let probe = try JSONDecoder().decode(ConsistencyProbe.self, from: Data(contentsOf: file))
            let outcome = Result {
                try ProofVerifier.verifyConsistency(
                    oldSize: probe.size1, newSize: probe.size2,
                    oldRoot: base64(probe.root1), newRoot: base64(probe.root2),
                    proof: (probe.proof ?? []).map { base64($0) })
            }
            let failed = (try? outcome.get()) == nil
            #expect(failed == probe.wantErr, "\(file.path): \(probe.desc)")
        }
    }
}
