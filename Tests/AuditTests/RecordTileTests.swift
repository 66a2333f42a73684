import Foundation
import GRDB
import MerkleLog
import Testing
@testable import Workspace

/// Record tiles above the leaves are stored; level 0 is the leaf hashes themselves, read from
/// `record_rows` by a proof. Workspaces of builds that stored level 0 keep those tiles, and
/// `verify` checks them like any other.
@Suite("Record tiles without the leaf level", .serialized)
struct RecordTileTests {
    /// The sample trial's protocol, consents and one site's measurements (over 512 records).
    func trial() throws -> (Workspace, StageRunInfo) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tiles-\(UUID().uuidString)")
        let workspace = try ProvenTrial.make(at: root)
        let run = try #require(try workspace.stageRuns().first { $0.kind == "ingest/measurements" })
        return (workspace, run)
    }

    func change(_ workspace: Workspace, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: workspace.layout.root.appendingPathComponent("trialchain.sqlite").path)
        try queue.writeWithoutTransaction { db in try Schema.withTriggersDropped(db) { try body(db) } }
        try queue.close()
    }

    func failure(_ workspace: Workspace) -> String? {
        do {
            _ = try Workspace.open(at: workspace.layout.root).verifyLedger()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aStageStoresTilesAboveItsLeavesOnlyAndProofsReadTheLeaves() throws {
        let (workspace, run) = try trial()
        defer { try? FileManager.default.removeItem(at: workspace.layout.root) }
        #expect(run.recordCount > 512)
        let levels = try workspace.read { try Int.fetchAll($0.db, sql: "SELECT level FROM record_tiles WHERE run_id = ?", arguments: [run.id]) }
        #expect(!levels.isEmpty && !levels.contains(0), "levels stored: \(levels)")
        var tree = InMemoryTree()
        for leaf in try workspace.recordLeafHashes(of: run) { tree.append(leafHash: leaf) }
        for index in [0, 255, 256, 300, tree.size - 1] as [UInt64] {
            #expect(try workspace.recordInclusionProof(run: run, index: index) == (try MerkleProofs.inclusionProof(index: index, size: tree.size, source: tree)))
        }
        #expect(failure(workspace) == nil)
    }

    /// An older build's level-0 tiles verify and serve proofs; one altered, or one the leaves do
    /// not give, is named.
    @Test func storedLeafTilesOfAnOlderBuildAreCheckedToo() throws {
        let (workspace, run) = try trial()
        defer { try? FileManager.default.removeItem(at: workspace.layout.root) }
        var appender = TileAppender()
        var leafTiles: [Tile] = []
        for leaf in try workspace.recordLeafHashes(of: run) { appender.append(leaf) { if $0.level == 0 { leafTiles.append($0) } } }
        leafTiles += appender.partialTiles.filter { $0.level == 0 }
        try change(workspace) { db in
            for tile in leafTiles {
                try db.execute(sql: "INSERT INTO record_tiles (run_id, level, idx, width, hashes) VALUES (?, 0, ?, ?, ?)",
                               arguments: [run.id, Int64(tile.index), tile.width, Data(RecordTiles.baseBytes(tile))])
            }
        }
        #expect(failure(workspace) == nil, "an older build's tiles verify")
        let reopened = try Workspace.open(at: workspace.layout.root)
        var tree = InMemoryTree()
        for leaf in try reopened.recordLeafHashes(of: run) { tree.append(leafHash: leaf) }
        #expect(try reopened.recordInclusionProof(run: run, index: 257) == (try MerkleProofs.inclusionProof(index: 257, size: tree.size, source: tree)))

        try change(workspace) { db in
            try db.execute(sql: "UPDATE record_tiles SET hashes = zeroblob(8192) WHERE run_id = ? AND level = 0 AND idx = 1", arguments: [run.id])
        }
        #expect(failure(workspace)?.contains("tile/0/001 is missing or differs") == true, "\(failure(workspace) ?? "passed")")
        try change(workspace) { db in
            try db.execute(sql: "DELETE FROM record_tiles WHERE run_id = ? AND level = 0 AND idx = 1", arguments: [run.id])
            try db.execute(sql: "INSERT INTO record_tiles (run_id, level, idx, width, hashes) VALUES (?, 0, 40, 1, zeroblob(32))", arguments: [run.id])
        }
        #expect(failure(workspace)?.contains("a tile was added") == true, "\(failure(workspace) ?? "passed")")
    }
}
