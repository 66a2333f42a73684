import Attestation
@testable import Audit
import Foundation
import GRDB
import Ingest
import Testing
@testable import Workspace

@Suite("Erasure (GDPR Art. 17)", .serialized)
struct ErasureTests {
    @Test func afterAnErasureVerifyPassesAndReportsItAndOtherProofsHold() throws {
        let demo = try DemoRun()
        let workspace = demo.workspace
        let prover = RecordProver(workspace: workspace)
        let before = try prover.prove(try prover.select(participant: "P-0010", visit: "SE.WEEK2", item: "IT.HR"))
        let documents = try workspace.records(participant: "P-0009").compactMap { record -> String? in
            guard let canonical = record.canonical else { return nil }
            return (try? JSONValue.parse(canonical))?["record"]?["document"]?["sha256"]?.stringValue
        }
        #expect(documents.count == 2, "the signed consent and the withdrawal form")

        let html = workspace.layout.root.appendingPathComponent("reports/payouts/participant-payments.html")
        let original = try Data(contentsOf: html)
        #expect(Redaction.mentions(Array(original), "P-0009"))
        let receipt = try workspace.erase(participant: "P-0009", reason: "participant's request")
        #expect(receipt.records == 46 && receipt.destroyed >= 2 && receipt.redacted > 0)
        let report = try workspace.verifyLedger(external: before.checkpoint)
        #expect(report.stages.erasures == ["P-0009"] && report.stages.blankedRecords == 46)

        // Nothing readable of the participant is left: no salt, no content, no document, no mention.
        #expect(try workspace.read { try Data.fetchOne($0.db, sql: "SELECT salt FROM participant_salts WHERE participant = 'P-0009'") } == nil)
        #expect(try workspace.records(participant: "P-0009").allSatisfy { $0.canonical == nil && $0.value == nil && $0.observedAt == nil })
        for digest in documents { #expect(!workspace.objects.contains(digest)) }
        for digest in try workspace.objectDigests() where workspace.objects.contains(digest) {
            let bytes = Array(try Data(contentsOf: workspace.objects.url(for: digest)))
            #expect(!Redaction.mentions(bytes, "P-0009"), "blob \(digest) still mentions the participant")
        }
        #expect(throws: AuditError.self) { try prover.prove(try prover.select(participant: "P-0009", visit: "SE.WEEK2", item: "IT.HR")) }
        // The report files on disk were redacted too; putting the erased version back is caught.
        for relative in FileManager.default.subpaths(atPath: workspace.layout.root.appendingPathComponent("reports").path) ?? [] {
            guard let bytes = FileManager.default.contents(atPath: workspace.layout.root.appendingPathComponent("reports/\(relative)").path) else { continue }
            #expect(!Redaction.mentions(Array(bytes), "P-0009"), "reports/\(relative) still mentions the participant")
        }
        #expect(try workspace.verifyLedger().reports.matching == 6)
        let redacted = try Data(contentsOf: html)
        try original.write(to: html)
        #expect(throws: IntegrityFailure.self) { try workspace.verifyLedger() }
        try redacted.write(to: html)

        // Other participants' proofs, old and new, still verify.
        _ = try before.verify(ledgerKey: workspace.ledgerKey, operatorKey: workspace.operatorKey)
        _ = try prover.prove(try prover.select(participant: "P-0010", visit: "SE.WEEK2", item: "IT.HR"))
            .verify(ledgerKey: workspace.ledgerKey, operatorKey: workspace.operatorKey)
        // The three contract and report runs, and the consent index (it names the participant).
        #expect(try Reexecutor(workspace: workspace).run().redactedRuns == 4)
        #expect(throws: WorkspaceError.self) { try workspace.erase(participant: "P-0009", reason: "again") }
        #expect(throws: WorkspaceError.self) { try workspace.erase(participant: "P-4242", reason: "unknown") }
    }

    @Test func ingestAfterAnErasureRejectsTheErasedParticipantAndAcceptsTheRest() throws {
        // The erasure destroys or redacts consent artifacts and the consent index: later stages
        // read what is left (they once failed on the destroyed blob).
        let demo = try DemoRun()
        let workspace = demo.workspace
        try workspace.erase(participant: "P-0009", reason: "participant's request")
        let csv = demo.root.appendingPathComponent("late-101.csv")
        try Data("""
            participant,site,visit,item,value,unit,collected_at
            P-0010,101,SE.WEEK2,IT.HR,71,beats/min,2026-04-04T15:01:00Z
            P-0009,103,SE.WEEK8,IT.HR,64,beats/min,2026-03-09T10:00:00Z

            """.utf8).write(to: csv)
        let outcome = try Ingestor(workspace: workspace).ingestMeasurements([try InputFile(url: csv, name: "late-101.csv")])
        guard case let .committed(receipt) = outcome else {
            Issue.record("expected a committed stage, got \(outcome)")
            return
        }
        #expect(receipt.recordCount == 1 && receipt.rejectCount == 1)
        let reject = try #require(try workspace.rejects(runID: receipt.runID).first?.reject)
        #expect(reject.line == 3 && reject.reason.contains("P-0009"))
        _ = try workspace.verifyLedger(external: nil)
        // The erased participant's consent is gone from every readable consent index.
        let index = try #require(try workspace.latestArtifact("consent-index"))
        #expect(try workspace.readableArtifactBytes(index).map { !Redaction.mentions($0, "P-0009") } ?? true)
    }

    @Test func blankingARecordWithoutAnErasureIsRefusedAndCaught() throws {
        let demo = try DemoRun()
        let pool = try DatabasePool(path: demo.workspace.layout.database.path)
        #expect(throws: DatabaseError.self, "the trigger allows blanking only for erased participants") {
            try pool.write { try $0.execute(sql: "UPDATE record_rows SET canonical = NULL, value = NULL, observed_at = NULL, unit = NULL WHERE participant = 'P-0011'") }
        }
        try pool.write { db in
            try Schema.withTriggersDropped(db) {
                try db.execute(sql: "UPDATE record_rows SET canonical = NULL, value = NULL, observed_at = NULL, unit = NULL WHERE participant = 'P-0011'")
            }
        }
        try pool.close()
        do {
            _ = try demo.workspace.verifyLedger(external: nil)
            Issue.record("a silent blanking passed")
        } catch let IntegrityFailure.recordAltered(_, _, _, location) {
            #expect(location.contains("its content was removed, but its participant was never erased"))
        }
    }

    @Test func redactionRules() {
        let bundle = Array(#"{"entry":[{"resource":{"patient":{"reference":"Patient/P-0009"}}},{"resource":{"patient":{"reference":"Patient/P-0028"}}}],"resourceType":"Bundle"}"#.utf8)
        #expect(Redaction.redact(bundle, participant: "P-0009")
                == .redacted(Array(#"{"entry":[{"erased":true},{"resource":{"patient":{"reference":"Patient/P-0028"}}}],"resourceType":"Bundle"}"#.utf8)))
        #expect(Redaction.redact(Array(#"{"patient":{"reference":"Patient/P-0009"},"resourceType":"Consent"}"#.utf8), participant: "P-0009") == .destroyed)
        let csv = Array("participant,site,value\r\nP-0009,101,120\r\nP-0010,101,118\r\n".utf8)
        #expect(Redaction.redact(csv, participant: "P-0009") == .redacted(Array("participant,site,value\r\n,,\r\nP-0010,101,118\r\n".utf8)))
        #expect(Redaction.redact(Array("P-00091,101\n".utf8), participant: "P-0009") == .untouched, "a longer id is another participant")
        #expect(Redaction.redact(Array([0xFF, 0xD8] + Array("P-0009".utf8)), participant: "P-0009") == .destroyed, "binary files that mention them go")
    }
}
