import Foundation
import GRDB
import MerkleLog
import Testing
@testable import Workspace

@Suite("Schema migrations")
struct SchemaMigrationTests {
    /// Old-shape record rows: (id, run, artifact, participant, visit, value, source file, line, canonical, leaf byte).
    typealias OldRecord = (Int64, Int64, String, String, String?, String?, String, Int64?, String?, UInt8)
    let old: [OldRecord] = [
        (1, 1, "consents/P-0001.json", "P-0001", nil, nil, "consents/P-0001.json", nil, #"{"record":{}}"#, 1),
        (2, 1, "consents/P-0002.json", "P-0002", nil, nil, "consents/P-0002.json", nil, #"{"record":{}}"#, 2),
        (3, 2, "measurements/site-101.csv", "P-0001", "SE.WEEK2", "120", "in/site-101.csv", 2, nil, 3),
        (4, 2, "measurements/site-101.csv", "P-0002", "SE.WEEK2", "131", "in/site-101.csv", 3, nil, 4),
        (5, 2, "measurements/site-102.csv", "P-0001", "SE.WEEK4", "118", "in/site-102.csv", 2, nil, 5),
    ]

    /// A database as a v4 build left it (records with their artifact and source file on every row).
    func v4Database(_ dir: TemporaryDirectory) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: dir.url.appendingPathComponent("v4.sqlite").path)
        try Schema.migrator.migrate(queue, upTo: "v4-cosignatures")
        try queue.write { db in
            for idx in 0..<2 {
                try db.execute(sql: "INSERT INTO ledger_entries (idx, leaf_hash, entry) VALUES (?, zeroblob(32), x'00')", arguments: [idx])
                try db.execute(sql: """
                    INSERT INTO stage_runs (id, stage, kind, input_key, entry_idx, first_record, record_count, record_root, reject_count, started_at, ended_at)
                    VALUES (?, 's', 'k', 'key', ?, 0, 0, zeroblob(32), 0, 't', 't')
                    """, arguments: [idx + 1, idx])
            }
            for r in old {
                try db.execute(sql: """
                    INSERT INTO records (id, run_id, artifact, participant, site, visit, item, value, unit, observed_at, source_file, source_line, canonical, leaf_hash)
                    VALUES (?, ?, ?, ?, 'S1', ?, 'IT.SYSBP', ?, NULL, '2026-01-01T00:00:00Z', ?, ?, CAST(? AS BLOB), ?)
                    """, arguments: [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, Data(repeating: r.9, count: 32)])
            }
        }
        return queue
    }

    @Test func v5KeepsEveryRecordAndItsSourceBehindTheRecordsView() throws {
        let dir = TemporaryDirectory()
        let queue = try v4Database(dir)
        try Schema.migrator.migrate(queue)
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, run_id, artifact, participant, visit, value, source_file, source_line, canonical, leaf_hash FROM records ORDER BY id")
            #expect(rows.count == old.count)
            for (row, r) in zip(rows, old) {
                #expect(row["id"] == r.0 && row["run_id"] == r.1 && row["artifact"] == r.2 && row["participant"] == r.3)
                #expect(row["visit"] as String? == r.4 && row["value"] as String? == r.5 && row["source_file"] == r.6)
                #expect(row["source_line"] as Int64? == r.7 && (row["canonical"] as Data?).map { String(decoding: $0, as: UTF8.self) } == r.8)
                #expect(row["leaf_hash"] == Data(repeating: r.9, count: 32))
            }
            // One source row per run and file, not one per record.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM record_sources") == 4)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM record_rows") == old.count)
            // The participant index serves the participant's rows in id order.
            let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM record_rows WHERE participant = 'P-0001' ORDER BY id")
                .map { $0["detail"] as String }.joined(separator: "; ")
            #expect(plan.contains("record_rows_by_participant") && !plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }

    @Test func v5RecordsStayAppendOnly() throws {
        let dir = TemporaryDirectory()
        let queue = try v4Database(dir)
        try Schema.migrator.migrate(queue)
        try queue.write { db in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE record_rows SET value = '999' WHERE id = 3") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM record_rows WHERE id = 3") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE record_sources SET artifact = 'measurements/x.csv' WHERE id = 3") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM record_sources WHERE id = 3") }
            // A view: nothing is written through it.
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE records SET value = '999' WHERE id = 3") }
            // Blanking is refused until the participant is erased, and then allowed.
            let blank = "UPDATE record_rows SET canonical = NULL, value = NULL, observed_at = NULL, unit = NULL WHERE participant = 'P-0002'"
            #expect(throws: DatabaseError.self) { try db.execute(sql: blank) }
            try db.execute(sql: "INSERT INTO erasures (participant, entry_idx, reason, erased_at) VALUES ('P-0002', 1, 'withdrawn', 't')")
            try db.execute(sql: blank)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE participant = 'P-0002' AND value IS NULL") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE participant = 'P-0002' AND leaf_hash IS NOT NULL AND artifact IS NOT NULL") == 2)
        }
    }

    /// v6 builds each existing run's record tiles once, from its stored leaves.
    @Test func v6BuildsTheRecordTilesOfExistingRuns() throws {
        let dir = TemporaryDirectory()
        let queue = try DatabaseQueue(path: dir.url.appendingPathComponent("v5.sqlite").path)
        try Schema.migrator.migrate(queue, upTo: "v5-record-sources")
        var leaves: [TreeHash] = []
        try queue.write { db in
            try db.execute(sql: "INSERT INTO ledger_entries (idx, leaf_hash, entry) VALUES (0, zeroblob(32), x'00')")
            try db.execute(sql: """
                INSERT INTO stage_runs (id, stage, kind, input_key, entry_idx, first_record, record_count, record_root, reject_count, started_at, ended_at)
                VALUES (1, 's', 'k', 'key', 0, 1, 600, zeroblob(32), 0, 't', 't')
                """)
            try db.execute(sql: "INSERT INTO record_sources (id, run_id, artifact, source_file) VALUES (1, 1, 'a', 'f')")
            for id in 1...600 {
                let leaf = RFC6962.leafHash(Array("record \(id)".utf8))
                leaves.append(leaf)
                try db.execute(sql: "INSERT INTO record_rows (id, run_id, source_id, participant, leaf_hash) VALUES (?, 1, 1, 'P', ?)",
                               arguments: [id, Data(leaf.bytes)])
            }
        }
        try Schema.migrator.migrate(queue)
        var expected: [Tile] = []
        var appender = TileAppender()
        for leaf in leaves { appender.append(leaf) { expected.append($0) } }
        expected += appender.partialTiles
        try queue.read { db in
            let stored = try Row.fetchAll(db, sql: "SELECT level, idx, width, hashes FROM record_tiles WHERE run_id = 1 ORDER BY level, idx, width")
            #expect(stored.count == expected.count && expected.count == 4, "two full tiles, and the right edge at two levels")
            for tile in expected {
                #expect(stored.contains { ($0["level"] as Int) == tile.level && ($0["idx"] as Int64) == Int64(tile.index)
                                          && ($0["width"] as Int) == tile.width && ($0["hashes"] as Data) == Data(tile.base.flatMap(\.bytes)) }, "\(tile.path)")
            }
        }
    }
}
