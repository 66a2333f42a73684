@testable import Audit
import Witnessing
import Foundation
import GRDB
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

/// A workspace in which every table has rows: the demo pipeline, a reviewer added to the trust
/// policy (an anchored policy), an approval by that reviewer, an erasure and a witness's
/// cosignature. Each mutation works on a copy of it.
final class FullWorkspace: @unchecked Sendable {
    static let shared = try! FullWorkspace()
    let demo: DemoRun
    let witness = try! NoteSigner.generate(name: "witness.example.org", type: .cosignatureV1)

    init() throws {
        demo = try DemoRun()
        let workspace = demo.workspace
        let reviewer = try NoteSigner.generate(name: "reviewer.example.org")
        var policy = try workspace.trustPolicy()
        policy.signers.append(.init(key: reviewer.verifierKey, name: "Dr. Review", maySign: ["signature/*"]))
        try workspace.setTrustPolicy(policy)
        try workspace.sign(entry: 3, meaning: .approved, with: reviewer)
        try workspace.erase(participant: "P-0030", reason: "the participant asked")
        let latest = try workspace.read { try $0.checkpoint() }
        let (line, _) = try Witness.cosign(latest.note, logKey: workspace.ledgerKey, witness: witness, state: WitnessState(), timestamp: 1_795_000_000) { from, to in
            try workspace.read { try $0.consistencyProof(from: from, to: to) }.proof
        }
        try workspace.addCosignature(line, size: latest.size, witness: witness.verifierKey)
        _ = try workspace.verifyLedger()
        let queue = try DatabaseQueue(path: workspace.layout.database.path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }

    /// A fresh copy of the workspace folder.
    func copy() throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("mutation-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: demo.workspace.layout.root, to: target)
        return target
    }
}

/// Issue 12's schema-driven mutation test: every table and column of the live schema, every
/// view, index and trigger, and every kind of file is changed (triggers dropped and put back, as a
/// careful forger would); `verify` must fail and name what changed, except for the declared
/// caches, which must be shown harmless.
@Suite("Every part of a workspace is bound, derived or a harmless cache", .serialized)
struct SchemaMutationTests {
    /// Parts that are declared caches: (table, column or row key), and why they are harmless.
    static let cacheColumns: Set<String> = ["workspace_meta.created_at", "workspace_meta.created_by", "cosignatures.added_at"]

    enum Outcome: Equatable {
        case caught(String)
        case passed
    }

    /// Applies `change` to a copy, then opens and verifies it.
    func outcome(_ change: (Database, URL) throws -> Void) throws -> Outcome {
        let root = try FullWorkspace.shared.copy()
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: root.appendingPathComponent("trialchain.sqlite").path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try change(db, root) }
        try queue.close()
        do {
            let workspace = try Workspace.open(at: root)
            _ = try workspace.verifyLedger()
            return .passed
        } catch let failure as IntegrityFailure {
            return .caught(failure.description)
        } catch let failure as WorkspaceError {
            return .caught("opening: \(failure)")
        }
    }

    /// A different value of the same storage class.
    static func altered(_ value: DatabaseValue) -> DatabaseValue {
        switch value.storage {
        case .null: return "x".databaseValue
        case let .int64(number): return (number + 1).databaseValue
        case let .double(number): return (number + 1).databaseValue
        case let .string(text):
            // Same length (columns such as sha256 have length checks): the last character changes.
            guard let last = text.last else { return "x".databaseValue }
            return (String(text.dropLast()) + (last == "a" ? "b" : "a")).databaseValue
        case let .blob(data):
            var bytes = data
            if bytes.isEmpty { bytes = Data([1]) } else { bytes[bytes.count - 1] ^= 0x5A }
            return bytes.databaseValue
        }
    }

    @Test func everyTableHasARuleAndEveryColumnChangeIsCaughtOrAHarmlessCache() throws {
        let full = FullWorkspace.shared
        let (tables, columns) = try full.demo.workspace.read { ledger -> ([String], [String: [(name: String, pk: Int)]]) in
            let tables = try String.fetchAll(ledger.db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            var columns: [String: [(String, Int)]] = [:]
            for table in tables {
                columns[table] = try Row.fetchAll(ledger.db, sql: "PRAGMA table_info(\(table))").map { ($0["name"], $0["pk"]) }
            }
            return (tables, columns)
        }
        let ruled = Set(WorkspaceRules.tables.map(\.name))
        for table in tables { #expect(ruled.contains(table), "table \(table) has no rule in WorkspaceRules: add one, and a check to verify") }

        var caught = 0, harmless = 0
        for table in tables {
            let rowCount = try full.demo.workspace.read { try Int.fetchOne($0.db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            #expect(rowCount > 0, "\(table) is empty in the full workspace: the mutation test cannot reach it")
            for column in columns[table] ?? [] {
                // workspace_meta holds one fact per row: each row's value is its own column.
                let keys: [String?] = table == "workspace_meta" ? try full.demo.workspace.read { try String.fetchAll($0.db, sql: "SELECT key FROM workspace_meta ORDER BY key") }.map { $0 } : [nil]
                for key in keys {
                    let label = key.map { "\(table).\($0)" } ?? "\(table).\(column.name)"
                    if table == "workspace_meta", column.name == "key", key != "trial_id" { continue }
                    let result = try outcome { db, _ in
                        let filter = key.map { "key = '\($0)'" } ?? "\(column.name) IS NOT NULL"
                        let rowid = try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM \(table) WHERE \(filter)")
                            ?? Int64.fetchOne(db, sql: "SELECT max(rowid) FROM \(table)")!
                        let old = try DatabaseValue.fetchOne(db, sql: "SELECT \(column.name) FROM \(table) WHERE rowid = ?", arguments: [rowid]) ?? .null
                        try Schema.withTriggersDropped(db) {
                            try db.execute(sql: "UPDATE \(table) SET \(column.name) = ? WHERE rowid = ?", arguments: [SchemaMutationTests.altered(old), rowid])
                        }
                    }
                    if SchemaMutationTests.cacheColumns.contains(label) {
                        #expect(result == .passed, "\(label) is a declared cache, but changing it mattered: \(result)")
                        harmless += 1
                    } else {
                        #expect(result != .passed, "changing \(label) went unnoticed")
                        caught += 1
                    }
                }
            }
            // Delete a row, and insert one (a copy of a row with its keys changed).
            let deleted = try outcome { db, _ in
                try Schema.withTriggersDropped(db) { try db.execute(sql: "DELETE FROM \(table) WHERE rowid = (SELECT max(rowid) FROM \(table))") }
            }
            if table == "cosignatures" {
                #expect(deleted == .passed, "a cosignature is checked only against a witness key given with --witness")
                harmless += 1
            } else {
                #expect(deleted != .passed, "deleting a row of \(table) went unnoticed")
                caught += 1
            }
            let inserted = try outcome { db, _ in
                let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE rowid = (SELECT max(rowid) FROM \(table))")!
                var values: [DatabaseValue] = []
                for (name, value) in row {
                    let keyed = (columns[table] ?? []).first { $0.name == name }.map { $0.pk > 0 } ?? false
                    values.append(keyed || table == "stage_runs" || table == "erasures" || table == "record_sources" ? SchemaMutationTests.altered(value) : value)
                }
                let names = row.columnNames.joined(separator: ", ")
                let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
                try Schema.withTriggersDropped(db) {
                    try db.execute(sql: "INSERT INTO \(table) (\(names)) VALUES (\(marks))", arguments: StatementArguments(values))
                }
            }
            if table == "participant_salts" {
                // A salt for a participant with no records: no leaf uses it, and the forger who
                // can plant one can read every salt anyway; a later record would be salted with
                // it and checked against it like any other.
                #expect(inserted == .passed, "\(inserted)")
                harmless += 1
            } else {
                #expect(inserted != .passed, "inserting a row into \(table) went unnoticed")
                caught += 1
            }
        }
        print("schema mutations: \(caught) caught, \(harmless) declared caches shown harmless, over \(tables.count) tables")
        #expect(caught > 100)
    }

    @Test func everyViewIndexAndTriggerChangeIsCaught() throws {
        let objects = try FullWorkspace.shared.demo.workspace.read { ledger in
            try Row.fetchAll(ledger.db, sql: "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'index', 'trigger') AND sql IS NOT NULL ORDER BY type, name")
                .map { ($0["type"] as String, $0["name"] as String, $0["sql"] as String) }
        }
        #expect(objects.count > 20)
        for (type, name, sql) in objects {
            let dropped = try outcome { db, _ in try db.execute(sql: "DROP \(type.uppercased()) \(name)") }
            #expect(dropped != .passed, "dropping \(type) \(name) went unnoticed")
            let redefined = try outcome { db, _ in
                try db.execute(sql: "DROP \(type.uppercased()) \(name)")
                switch type {
                case "view", "index": try db.execute(sql: sql + " WHERE 1")
                default: try db.execute(sql: sql.replacingOccurrences(of: " BEFORE ", with: " AFTER "))
                }
            }
            #expect(redefined != .passed, "redefining \(type) \(name) went unnoticed")
        }
    }

    @Test func everyKindOfFileIsCaughtOrAHarmlessCache() throws {
        // Blobs and report files are bound.
        let blob = try outcome { _, root in
            let folder = root.appendingPathComponent("objects/sha256")
            let first = try #require(FileManager.default.subpaths(atPath: folder.path)?.sorted().first { $0.count > 3 })
            let url = folder.appendingPathComponent(first)
            var data = try Data(contentsOf: url)
            data[0] ^= 1
            try data.write(to: url)
        }
        #expect(blob != .passed)
        let report = try outcome { _, root in
            let url = root.appendingPathComponent("reports/adherence/dosing-adherence.csv")
            try (try Data(contentsOf: url) + Data("\n".utf8)).write(to: url)
        }
        #expect(report != .passed)
        // Public key files, private keys and the trust policy copy are caches: verify reads none.
        for file in ["keys/ledger.pub", "keys/operator.pub", "trust-policy.json"] {
            let result = try outcome { _, root in try Data("{}".utf8).write(to: root.appendingPathComponent(file)) }
            #expect(result == .passed, "\(file) is a declared cache, but changing it mattered: \(result)")
        }
        let result = try outcome { _, root in try FileManager.default.removeItem(at: root.appendingPathComponent("keys/operator.key")) }
        #expect(result == .passed)
    }
}
