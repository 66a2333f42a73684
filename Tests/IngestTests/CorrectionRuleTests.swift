import Foundation
import GRDB
import Testing
@testable import Ingest
@testable import Workspace

/// The correction rule: a stage never records as newest a file whose content a later version
/// already superseded unless told explicitly, and a changed file needs a reason; the error names
/// the files that actually changed, and nothing is stored.
@Suite("Corrections never undo each other", .serialized)
struct CorrectionRuleTests {
    /// The sample trial ingested, then site 102 corrected from another folder (version 2).
    func correctedSite102() throws -> (IngestSandbox, original: String) {
        let box = try IngestSandbox()
        try box.ingestSample()
        let original = try String(contentsOf: sampleData.appendingPathComponent("measurements/site-102.csv"), encoding: .utf8)
        let fixed = try box.write("fixes/site-102.csv", original + "P-0002,102,SE.WEEK2,IT.HR,71,bpm,2026-03-30T10:00:00Z\n")
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([fixed], options: IngestOptions(reason: "site 102 sent a missing heart rate")))
        #expect(receipt.artifacts.map(\.version) == [2])
        return (box, original)
    }

    /// The pipeline's input folder: site 101 and the old site 102 as they were, site 103 as given.
    func folder(_ box: IngestSandbox, site103: String) throws -> [InputFile] {
        let read = { (name: String) in try String(contentsOf: sampleData.appendingPathComponent("measurements/\(name)"), encoding: .utf8) }
        return [try box.write("inbox/site-101.csv", try read("site-101.csv")), try box.write("inbox/site-102.csv", try read("site-102.csv")),
                try box.write("inbox/site-103.csv", site103)]
    }

    func latestVersion(_ box: IngestSandbox, _ name: String) throws -> Int? {
        try box.workspace.latestArtifact(name)?.version
    }

    @Test func aRerunWithTheOldFileRefusesToUndoTheCorrectionEvenWithAReason() throws {
        let (box, _) = try correctedSite102()
        let site103 = try String(contentsOf: sampleData.appendingPathComponent("measurements/site-103.csv"), encoding: .utf8)
        let files = try folder(box, site103: site103.replacingOccurrences(of: "P-0003,103,SE.SCREENING,IT.SYSBP,134", with: "P-0003,103,SE.SCREENING,IT.SYSBP,135"))
        let before = try box.snapshot()
        for reason in [nil, "site 103 corrected a blood pressure"] as [String?] {
            let error = #expect(throws: StageError.self) { try box.ingestor.ingestMeasurements(files, options: IngestOptions(reason: reason)) }
            guard case let .wouldRevert(changes)? = error else { Issue.record("expected a revert refusal, got \(String(describing: error))"); continue }
            #expect(changes.map(\.file) == ["inbox/site-102.csv"])
            #expect(changes.first?.matches == 1 && changes.first?.current == 2)
            let message = "\(error!)"
            #expect(message.contains("inbox/site-102.csv has the content of measurements/site-102.csv v1, which v2 superseded"))
            #expect(message.contains("site 102 sent a missing heart rate"))
            #expect(message.contains("--allow-revert"))
            #expect(!message.contains("site-101"))
            #expect(try box.snapshot() == before)
            #expect(try latestVersion(box, "measurements/site-102.csv") == 2)
        }
    }

    @Test func onlyTheFileThatChangedNeedsAReasonAndTheReasonIsRecordedForIt() throws {
        let (box, _) = try correctedSite102()
        // The coordinator puts the corrected site 102 in the folder, and fixes site 103.
        let site103 = try String(contentsOf: sampleData.appendingPathComponent("measurements/site-103.csv"), encoding: .utf8)
            .replacingOccurrences(of: "P-0003,103,SE.SCREENING,IT.SYSBP,134", with: "P-0003,103,SE.SCREENING,IT.SYSBP,135")
        var files = try folder(box, site103: site103)
        let fixed = try String(contentsOf: box.root.appendingPathComponent("fixes/site-102.csv"), encoding: .utf8)
        files[1] = try box.write("inbox/site-102.csv", fixed)
        let before = try box.snapshot()
        let error = #expect(throws: StageError.self) { try box.ingestor.ingestMeasurements(files) }
        guard case let .correctionsNeedReason(changes)? = error else { Issue.record("expected a reason to be asked, got \(String(describing: error))"); return }
        #expect(changes.map(\.file) == ["inbox/site-103.csv"])
        #expect("\(error!)".contains("--reason TEXT (both `trialchain ingest` and `trialchain run` take it"))
        #expect(try box.snapshot() == before)
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements(files, options: IngestOptions(reason: "site 103 corrected a blood pressure")))
        // Site 103 is a new version; site 101 and the corrected site 102 are unchanged artifacts.
        #expect(receipt.artifacts.map(\.name) == ["measurements/site-103.csv"])
        #expect(try latestVersion(box, "measurements/site-102.csv") == 2)
    }

    @Test func aDeliberateRevertIsAllowedWithTheFlagAndAReason() throws {
        let (box, original) = try correctedSite102()
        let old = try box.write("inbox/site-102.csv", original)
        #expect(throws: StageError.self) { try box.ingestor.ingestMeasurements([old], options: IngestOptions(reason: "x")) }
        // The flag alone is not a reason.
        #expect(throws: StageError.self) { try box.ingestor.ingestMeasurements([old], options: IngestOptions(allowRevert: true)) }
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements(
            [old], options: IngestOptions(reason: "the heart rate belonged to another participant", allowRevert: true)))
        #expect(receipt.artifacts.map(\.version) == [3])
        let versions = try box.workspace.read { try String.fetchAll($0.db, sql: "SELECT sha256 FROM stage_artifacts WHERE name = 'measurements/site-102.csv' ORDER BY version") }
        #expect(versions.count == 3 && versions[0] != versions[1])
    }

    @Test func aProtocolRevertIsRefusedByItsDigest() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let text = try String(contentsOf: sampleData.appendingPathComponent("protocol.xml"), encoding: .utf8)
        let changed = try box.write("p2/protocol.xml", text.replacingOccurrences(of: "Name=\"Week 2\"", with: "Name=\"Week two\""))
        #expect(text.contains("Name=\"Week 2\""))
        _ = try box.receipt(try box.ingestor.ingestProtocol(changed, options: IngestOptions(reason: "visit name")))
        let back = try box.write("p3/protocol.xml", text)
        let error = #expect(throws: StageError.self) { try box.ingestor.ingestProtocol(back, options: IngestOptions(reason: "oops")) }
        guard case let .wouldRevert(changes)? = error else { Issue.record("expected a revert refusal, got \(String(describing: error))"); return }
        #expect(changes.first?.matches == 1)
        #expect(try latestVersion(box, "protocol") == 2)
    }
}
