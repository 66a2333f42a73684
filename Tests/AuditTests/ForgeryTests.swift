import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

/// Issue 12: a careful forger with write access to the workspace edits the database and the
/// object store consistently, dropping the triggers and putting them back. Each case here passed
/// `verify` before the walk from the ledger outward; each must now fail and name what changed.
@Suite("A careful forger is caught", .serialized)
struct ForgeryTests {
    /// Runs SQL on the demo workspace with every trigger dropped and then restored.
    func forge(_ demo: DemoRun, _ statements: [String], arguments: StatementArguments = []) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: demo.workspace.layout.database.path, configuration: configuration)
        try queue.write { db in
            try Schema.withTriggersDropped(db) {
                for sql in statements { try db.execute(sql: sql, arguments: arguments) }
            }
        }
        try queue.close()
    }

    func failure(_ demo: DemoRun) -> String? {
        do {
            _ = try demo.workspace.verifyLedger()
            return nil
        } catch let failure as IntegrityFailure {
            return failure.description
        } catch {
            return "not an integrity failure: \(error)"
        }
    }

    func value<T: DatabaseValueConvertible>(_ demo: DemoRun, _ sql: String) throws -> T {
        try demo.workspace.read { try T.fetchOne($0.db, sql: sql)! }
    }

    @Test func anUntouchedDemoVerifiesAndTheTrustPolicyComesFromTheLedger() throws {
        let demo = try DemoRun()
        let report = try demo.workspace.verifyLedger()
        #expect(report.reports.matching == 6 && report.reports.missing.isEmpty && report.reports.unanchored.isEmpty)
        #expect(report.policyInForce == (try demo.workspace.trustPolicy()))
    }

    @Test func aForgedErasureWithoutALedgerEntryIsCaught() throws {
        let demo = try DemoRun()
        let outputs: [String] = try demo.workspace.read { try String.fetchAll($0.db, sql: "SELECT sha256 FROM stage_artifacts WHERE name LIKE 'payouts/%'") }
        try forge(demo, ["INSERT INTO erasures (participant, entry_idx, reason, erased_at) VALUES ('P-0011', 3, 'forged', '2026-01-01T00:00:00Z')",
                         "UPDATE record_rows SET canonical = NULL, value = NULL, observed_at = NULL, unit = NULL WHERE participant = 'P-0011'",
                         "DELETE FROM participant_salts WHERE participant = 'P-0011'"]
                        + outputs.map { "INSERT INTO erased_objects (sha256, replaced_by, entry_idx) VALUES ('\($0)', NULL, 3)" })
        let message = failure(demo)
        #expect(message?.contains("P-0011") == true && message?.contains("its participant was never erased") == true, "\(message ?? "passed")")
        // With the records left alone, the erasures row alone is named as the forgery.
        let other = try DemoRun()
        try forge(other, ["INSERT INTO erasures (participant, entry_idx, reason, erased_at) VALUES ('P-0011', 3, 'forged', '2026-01-01T00:00:00Z')"])
        #expect(failure(other)?.contains("erasures row P-0011: no signed erasure entry erases this participant: a forged erasure") == true, "\(failure(other) ?? "passed")")
    }

    @Test func erasedObjectsCannotHideAnAlteredBlob() throws {
        let demo = try DemoRun()
        let document: String = try value(demo, "SELECT json_extract(canonical, '$.record.document.sha256') FROM record_rows WHERE canonical IS NOT NULL LIMIT 1")
        try Data("forged consent document".utf8).write(to: demo.workspace.objects.url(for: document))
        try forge(demo, ["INSERT INTO erased_objects (sha256, replaced_by, entry_idx) VALUES ('\(document)', NULL, 1)"])
        let message = failure(demo)
        #expect(message?.contains("erased_objects") == true && message?.contains("no signed erasure entry destroyed this blob") == true, "\(message ?? "passed")")
    }

    @Test func aRedefinedRecordsViewOrADroppedTriggerIsCaught() throws {
        let demo = try DemoRun()
        try forge(demo, ["DROP VIEW records", """
            CREATE VIEW records AS SELECT r.id, r.run_id, s.artifact, r.participant, r.site, r.visit, r.item,
                   CASE WHEN r.id = 100 THEN '999' ELSE r.value END AS value, r.unit, r.observed_at,
                   s.source_file, r.source_line, r.canonical, r.leaf_hash, r.source_id
            FROM record_rows r LEFT JOIN record_sources s ON s.id = r.source_id
            """])
        #expect(failure(demo) == IntegrityFailure.schemaAltered(object: "view records", reason: "its definition was changed").description)

        let other = try DemoRun()
        let queue = try DatabaseQueue(path: other.workspace.layout.database.path)
        try queue.write { try $0.execute(sql: "DROP TRIGGER record_rows_no_update") }
        try queue.close()
        #expect(failure(other) == IntegrityFailure.schemaAltered(object: "trigger record_rows_no_update", reason: "it was dropped").description)
    }

    @Test func aWholeStageRunDeletedIsCaught() throws {
        let demo = try DemoRun()
        let run: Int64 = try value(demo, "SELECT id FROM stage_runs WHERE kind = 'ingest/measurements'")
        try forge(demo, ["DELETE FROM record_rows WHERE run_id = \(run)", "DELETE FROM record_sources WHERE run_id = \(run)",
                         "DELETE FROM stage_artifacts WHERE run_id = \(run)", "DELETE FROM rejects WHERE run_id = \(run)",
                         "DELETE FROM stage_runs WHERE id = \(run)"])
        let message = failure(demo)
        #expect(message?.contains("holds no stage run for it") == true, "\(message ?? "passed")")
    }

    @Test func aContractRunPassedOffAsAnotherKindIsCaught() throws {
        let demo = try DemoRun()
        try forge(demo, ["UPDATE stage_runs SET kind = 'ingest/protocol' WHERE kind IN ('contract', 'report')"])
        let message = failure(demo)
        #expect(message?.contains("its kind column differs from its attestation") == true, "\(message ?? "passed")")
    }

    @Test(arguments: [
        ("DELETE FROM rejects WHERE rowid = (SELECT min(rowid) FROM rejects)", "rejects were deleted or added"),
        ("UPDATE rejects SET reason = 'accepted after all' WHERE rowid = (SELECT min(rowid) FROM rejects WHERE run_id = 3)", "a reject was rewritten"),
        ("UPDATE record_rows SET source_id = (SELECT max(id) FROM record_sources WHERE run_id = 3) WHERE id = (SELECT first_record FROM stage_runs WHERE id = 3)",
         "filed under a file before the one"),
        ("UPDATE record_sources SET source_file = 'SampleData/measurements/site-999.csv' WHERE run_id = 3 AND id = (SELECT min(id) FROM record_sources WHERE run_id = 3)",
         "which is not the input file that artifact was made from"),
        ("UPDATE record_rows SET source_line = source_line + 1 WHERE id = (SELECT first_record + 5 FROM stage_runs WHERE id = 3)", "source lines differ"),
        ("UPDATE stage_runs SET started_at = '2020-01-01T00:00:00Z' WHERE id = 2", "its started_at column differs"),
        ("UPDATE stage_runs SET reason = 'a reason nobody gave' WHERE id = 2", "its reason column differs"),
        ("UPDATE stage_runs SET input_key = 'x' WHERE id = 2", "its input_key column differs"),
        ("UPDATE objects SET stored_at = '2020-01-01T00:00:00Z' WHERE rowid = (SELECT min(rowid) FROM objects)", "its stored_at is not the time of entry"),
        ("UPDATE objects SET byte_count = byte_count + 1 WHERE rowid = (SELECT max(rowid) FROM objects)", "its byte_count is not the blob's size"),
        ("DELETE FROM ledger_checkpoints WHERE size = 3", "the checkpoint of size 3"),
        ("DELETE FROM anchored_files", "ok"),
        ("INSERT INTO workspace_meta (key, value) VALUES ('note', 'x')", "no TrialChain workspace has this key"),
        ("UPDATE record_rows SET observed_at = '2020-01-01T00:00:00Z' WHERE id = (SELECT first_record FROM stage_runs WHERE id = 2)", "its columns were changed"),
        ("INSERT INTO cosignatures (size, witness, line, added_at) VALUES (3, 'w+00000000', 'x', 'now')", "not a signature by that witness"),
        ("INSERT INTO objects (sha256, byte_count, stored_at) VALUES ('\(String(repeating: "a", count: 64))', 1, 'now')", "no entry, anchored record or erasure names this blob"),
    ] as [(String, String)])
    func rowsNobodyCheckedAreChecked(sql: String, expected: String) throws {
        let demo = try DemoRun()
        try forge(demo, [sql])
        let message = failure(demo)
        if expected == "ok" {
            #expect(message == nil, "nothing was anchored, so nothing is missing: \(message ?? "")")
        } else {
            #expect(message?.contains(expected) == true, "\(sql): \(message ?? "passed")")
        }
    }

    @Test func anInputDeletedFromTheObjectStoreIsCaught() throws {
        let demo = try DemoRun()
        let site: String = try demo.workspace.read { db in
            let entry = try db.entry(2)
            let statement = try DSSEEnvelope(parsing: entry.entry).statement()
            return statement.predicate["materials"]!.arrayValue!.first { $0["name"]?.stringValue?.hasSuffix("site-102.csv") == true }!["digest"]!["sha256"]!.stringValue!
        }
        try FileManager.default.removeItem(at: demo.workspace.objects.url(for: site))
        try forge(demo, ["DELETE FROM objects WHERE sha256 = '\(site)'"])
        let message = failure(demo)
        #expect(message?.contains("input SampleData/measurements/site-102.csv") == true && message?.contains("missing") == true, "\(message ?? "passed")")
    }

    @Test func anEditedTrustPolicyFileGrantsNothing() throws {
        let demo = try DemoRun()
        let intruder = try NoteSigner.generate(name: "intruder")
        var policy = try demo.workspace.trustPolicy()
        policy.signers.append(.init(key: intruder.verifierKey, name: "Dr. Nobody", maySign: ["*"]))
        try Data(policy.canonicalBytes).write(to: demo.workspace.layout.trustPolicy)
        // The file is a readable copy: the policy in force is still the anchored one…
        #expect(try demo.workspace.trustPolicy().signer(handle: intruder.verifierKey.handle) == nil)
        #expect(throws: WorkspaceError.self) { try demo.workspace.sign(entry: 2, meaning: .approved, with: intruder) }
        #expect(failure(demo) == nil)
        // …and an approval the intruder appends by hand is an unauthorised key.
        let statement = InTotoStatement(subjects: [.init(name: "ledger entry 2", sha256: String(repeating: "0", count: 64))],
                                        predicateType: Workspace.signaturePredicateType,
                                        predicate: ["signature": ["keyid": .string(intruder.verifierKey.handle), "meaning": "approved", "name": "Dr. Nobody",
                                                                  "signedAt": "2026-12-01T00:00:00Z"], "trial": "DEMO-2026-001"])
        try demo.workspace.appendEntries([try DSSEEnvelope(signing: statement.canonicalBytes, with: intruder).canonicalBytes])
        let message = failure(demo)
        #expect(message?.contains("which the trust policy does not name: an unauthorised key") == true, "\(message ?? "passed")")
    }

    @Test func aReportEditedAfterAnchoringIsCaught() throws {
        let demo = try DemoRun()
        let html = demo.workspace.layout.root.appendingPathComponent("reports/payouts/participant-payments.html")
        try (try String(contentsOf: html, encoding: .utf8).replacingOccurrences(of: "EUR", with: "USD")).write(to: html, atomically: true, encoding: .utf8)
        let message = failure(demo)
        #expect(message?.contains("reports/payouts/participant-payments.html was altered after it was anchored") == true, "\(message ?? "passed")")
        // A missing report file is reported, not a failure.
        try FileManager.default.removeItem(at: html)
        #expect(try demo.workspace.verifyLedger().reports.missing == ["reports/payouts/participant-payments.html"])
    }

    @Test func aRollbackOfTheLastEntryIsAnIntegrityFailure() throws {
        let demo = try DemoRun()
        let size: Int64 = try value(demo, "SELECT max(size) FROM ledger_checkpoints")
        try forge(demo, ["DELETE FROM ledger_entries WHERE idx = \(size - 1)", "DELETE FROM ledger_checkpoints WHERE size = \(size)",
                         "DELETE FROM ledger_tiles WHERE width = \(size)"])
        let message = failure(demo)
        #expect(message != nil && message?.hasPrefix("not an integrity failure") == false, "\(message ?? "passed")")
    }
}
