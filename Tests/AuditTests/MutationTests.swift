import Foundation
import GRDB
import Testing
@testable import Workspace

/// Hardening: change one byte anywhere that matters and `verify` must fail, naming what broke.
@Suite("Random single-byte mutations are all caught", .serialized)
struct MutationTests {
    /// Where a byte can be changed: a table's BLOB/TEXT column (by rowid), or a blob file.
    enum Target: CustomStringConvertible {
        case column(table: String, column: String, rowid: Int64)
        case file(URL)

        var description: String {
            switch self {
            case let .column(table, column, rowid): return "\(table).\(column) row \(rowid)"
            case let .file(url): return "object \(url.lastPathComponent.prefix(12))"
            }
        }
    }

    @Test func everyMutationOfEntriesRecordsBlobsTilesCheckpointsAndSignaturesIsNamed() throws {
        let trial = try ProvenTrialCopy()
        let workspace = trial.workspace
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: workspace.layout.database.path, configuration: configuration)
        // Triggers stop accidents, not attackers: each change drops them and puts them back, as a
        // careful attacker with the file would.
        var targets: [Target] = []
        try queue.read { db in
            for (table, column) in [("ledger_entries", "entry"), ("ledger_entries", "leaf_hash"), ("ledger_tiles", "hashes"),
                                    ("ledger_checkpoints", "note"), ("ledger_checkpoints", "root"), ("record_rows", "canonical"),
                                    ("record_rows", "leaf_hash"), ("record_sources", "artifact"), ("stage_runs", "record_root"), ("stage_artifacts", "sha256")] {
                for rowid in try Int64.fetchAll(db, sql: "SELECT rowid FROM \(table) WHERE length(\(column)) > 0") {
                    targets.append(.column(table: table, column: column, rowid: rowid))
                }
            }
        }
        for digest in try workspace.objectDigests() { targets.append(.file(workspace.objects.url(for: digest))) }

        var generator = SeededGenerator(seed: 6962)
        var caught: [String: Int] = [:]
        for _ in 0..<120 {
            let target = targets[Int.random(in: 0..<targets.count, using: &generator)]
            let flip = UInt8.random(in: 1...255, using: &generator)
            // Read, flip one byte, write back; restore afterwards.
            let original: Data
            switch target {
            case let .column(table, column, rowid):
                original = try queue.read { db in
                    let row = try Row.fetchOne(db, sql: "SELECT \(column) AS value, typeof(\(column)) AS type FROM \(table) WHERE rowid = ?", arguments: [rowid])!
                    return (row["type"] as String) == "text" ? Data((row["value"] as String).utf8) : row["value"] as Data
                }
                var mutated = original
                let position = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[position] ^= flip
                try queue.write { db in
                    let isText = try String.fetchOne(db, sql: "SELECT typeof(\(column)) FROM \(table) WHERE rowid = ?", arguments: [rowid]) == "text"
                    let value: DatabaseValueConvertible = isText ? String(decoding: mutated, as: UTF8.self) : mutated
                    try Schema.withTriggersDropped(db) { try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [value, rowid]) }
                }
            case let .file(url):
                original = try Data(contentsOf: url)
                var mutated = original
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] ^= flip
                try mutated.write(to: url)
            }
            do {
                _ = try workspace.verifyLedger(external: nil)
                Issue.record("a changed byte in \(target) went unnoticed")
            } catch let failure as IntegrityFailure {
                caught[String("\(failure)".prefix(24)), default: 0] += 1
            } catch {
                // A byte that breaks the encoding itself (a checkpoint that no longer parses,
                // text that is no longer UTF-8) fails as malformed: still caught, still named.
                caught["other: " + String("\(error)".prefix(16)), default: 0] += 1
            }
            switch target {
            case let .column(table, column, rowid):
                try queue.write { db in
                    let isText = try String.fetchOne(db, sql: "SELECT typeof(\(column)) FROM \(table) WHERE rowid = ?", arguments: [rowid]) == "text"
                    let value: DatabaseValueConvertible = isText ? String(decoding: original, as: UTF8.self) : original
                    try Schema.withTriggersDropped(db) { try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [value, rowid]) }
                }
            case let .file(url):
                try original.write(to: url)
            }
        }
        #expect(caught.values.reduce(0, +) == 120)
        _ = try workspace.verifyLedger(external: nil)
    }

    @Test func reorderedEntriesAreCaught() throws {
        let trial = try ProvenTrialCopy()
        let queue = try DatabaseQueue(path: trial.workspace.layout.database.path)
        try queue.write { db in try Schema.withTriggersDropped(db) {
            let a = try Row.fetchOne(db, sql: "SELECT leaf_hash, entry FROM ledger_entries WHERE idx = 0")!
            let b = try Row.fetchOne(db, sql: "SELECT leaf_hash, entry FROM ledger_entries WHERE idx = 1")!
            try db.execute(sql: "UPDATE ledger_entries SET leaf_hash = ?, entry = ? WHERE idx = 0", arguments: [b["leaf_hash"] as Data, b["entry"] as Data])
            try db.execute(sql: "UPDATE ledger_entries SET leaf_hash = ?, entry = ? WHERE idx = 1", arguments: [a["leaf_hash"] as Data, a["entry"] as Data])
        } }
        #expect(throws: IntegrityFailure.self) { try trial.workspace.verifyLedger(external: nil) }
    }
}

/// A fresh copy of the proven trial's workspace, to be damaged.
final class ProvenTrialCopy {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mutate-\(UUID().uuidString)")
    let workspace: Workspace

    init() throws {
        try FileManager.default.copyItem(at: ProvenTrial.shared.root, to: root)
        workspace = try Workspace.open(at: root)
    }

    deinit { try? FileManager.default.removeItem(at: root) }
}
