import Foundation
import GRDB
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

@Suite("The ledger in SQLite")
struct LedgerStoreTests {
    @Test func storedProofsMatchTheReferenceTreeAtEverySize() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        var reference = InMemoryTree()
        var checkpointSizes: [UInt64] = [0]
        // Batches that straddle tile boundaries at levels 0 and 1.
        for batch in [1, 2, 253, 300, 65_000, 700] {
            let start = Int(reference.size)
            let entries = (start..<(start + batch)).map { Array("entry \($0)".utf8) }
            for entry in entries { reference.append(leafHash: RFC6962.leafHash(entry)) }
            let result = try appendRaw(workspace, entries)
            #expect(result.size == reference.size)
            #expect(result.root == reference.root())
            checkpointSizes.append(result.size)
        }
        let stored = try workspace.read { try $0.checkpoints() }
        #expect(stored.map(\.size) == checkpointSizes)
        for checkpoint in stored {
            #expect(checkpoint.root == reference.root(size: checkpoint.size))
            #expect(try SignedNote(parsing: checkpoint.note).verify(trusting: [workspace.ledgerKey]).count == 1)
        }
        var rng = SystemRandomNumberGenerator()
        let total = reference.size
        // Checkpoint sizes and arbitrary sizes (right edges rebuilt from below).
        let sizes = checkpointSizes.filter { $0 > 0 } + (0..<20).map { _ in UInt64.random(in: 1...total, using: &rng) }
        try workspace.read { ledger in
            for size in sizes {
                for _ in 0..<5 {
                    let index = UInt64.random(in: 0..<size, using: &rng)
                    let proof = try ledger.inclusionProof(index: index, size: size)
                    #expect(proof.proof == (try MerkleProofs.inclusionProof(index: index, size: size, source: reference)), "index \(index) size \(size)")
                    #expect(proof.root == reference.root(size: size))
                    try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: proof.leafHash.bytes,
                                                      proof: proof.proof.map(\.bytes), root: proof.root.bytes)
                }
                let from = UInt64.random(in: 1...size, using: &rng)
                let consistency = try ledger.consistencyProof(from: from, to: size)
                try ProofVerifier.verifyConsistency(oldSize: from, newSize: size, oldRoot: reference.root(size: from).bytes,
                                                    newRoot: consistency.newRoot.bytes, proof: consistency.proof.map(\.bytes))
            }
            #expect(throws: WorkspaceError.self) { try ledger.inclusionProof(index: total, size: total) }
            #expect(throws: WorkspaceError.self) { try ledger.inclusionProof(index: 0, size: total + 1) }
            #expect(throws: WorkspaceError.self) { try ledger.consistencyProof(from: 0) }
            #expect(throws: WorkspaceError.self) { try ledger.consistencyProof(from: 5, to: 4) }
        }
        let report = try verifyTree(workspace)
        #expect(report.entries == total)
        #expect(report.root == reference.root())
        #expect(report.checkpoints == checkpointSizes.count)
    }

    @Test func ledgerTablesRefuseUpdateAndDelete() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try appendRaw(workspace, [[1], [2], [3]])
        let queue = try DatabaseQueue(path: workspace.layout.database.path)
        defer { try? queue.close() }
        for sql in ["UPDATE ledger_entries SET entry = x'00' WHERE idx = 1", "DELETE FROM ledger_entries WHERE idx = 2",
                    "DELETE FROM ledger_checkpoints", "UPDATE ledger_tiles SET hashes = x'00'", "DELETE FROM workspace_meta"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try queue.write { try $0.execute(sql: sql) } }
        }
        #expect(try verifyTree(workspace).entries == 3)
    }
}
