import Attestation
import Foundation
import GRDB
import Testing
@testable import Ingest
@testable import Workspace

/// Issue 17: a REDCap project straight in: its ODM metadata as the protocol, a consent register,
/// and its standard CSV data export (two arms, a repeating diary, two sites in two time zones).
@Suite("REDCap data exports", .serialized)
struct REDCapExportTests {
    static let folder = Corpus.url("redcap")

    func file(_ name: String) throws -> InputFile { try InputFile(url: Self.folder.appendingPathComponent(name), name: "redcap/\(name)") }

    func layout(_ zones: [String: String] = ["berlin": "Europe/Berlin", "boston": "America/New_York"]) throws -> MeasurementLayout {
        try MeasurementLayout(redcap: REDCapLayout(dateFields: ["visit_datetime", "diary_date", "symptom_date"], timeZones: zones))
    }

    func prepared() throws -> IngestSandbox {
        let box = try IngestSandbox()
        let protocolReceipt = try box.receipt(try box.ingestor.ingestProtocol(try file("project.xml")))
        #expect(protocolReceipt.artifacts.count == 1)
        var options = IngestOptions()
        options.approvedFormVersions = ["1.0"]
        let consents = try box.receipt(try box.ingestor.ingestConsents([try file("consent-register.csv")], options: options))
        #expect(consents.recordCount == 3 && consents.rejectCount == 0)
        return box
    }

    @Test func aRealisticExportGoesThroughWithTheExpectedRecordsAndRejects() throws {
        let box = try prepared()
        let (model, _) = try box.ingestor.currentProtocol()
        #expect(model.visit("Event.treatment_arm_1")?.repeating == true && model.visit("Event.baseline_arm_1")?.plannedDay == 1)
        #expect(model.item("sysbp")?.rangeChecks.allSatisfy(\.hard) == true && model.item("hr")?.rangeChecks.allSatisfy { !$0.hard } == true)
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([try file("export.csv")], options: IngestOptions(layout: try layout())))
        let rows = try box.workspace.read {
            try Row.fetchAll($0.db, sql: "SELECT participant, site, visit, item, value, observed_at, source_line FROM records WHERE run_id = ? ORDER BY id", arguments: [receipt.runID])
        }
        func records(_ line: Int) -> [String: String] {
            Dictionary(rows.filter { ($0["source_line"] as Int) == line }.map { ($0["item"] as String, $0["value"] as String) }, uniquingKeysWith: { a, _ in a })
        }
        // Line 2: Berlin 09:30 in March (CET) is 08:30 UTC; every filled field is a record.
        #expect(records(2) == ["visit_datetime": "2026-03-02T08:30:00Z", "sysbp": "128", "hr": "72", "weight": "81.5"])
        let first = try #require(rows.first)
        let firstObserved: String = first["observed_at"], firstSite: String = first["site"], firstVisit: String = first["visit"]
        #expect(firstObserved == "2026-03-02T08:30:00Z" && firstSite == "berlin" && firstVisit == "Event.baseline_arm_1")
        // Line 3: sysbp 300 is past the forced maximum (rejected); hr 190 past a soft one (kept,
        // flagged); checked checkbox options are records, unchecked (0) ones are not.
        #expect(records(3) == ["visit_datetime": "2026-03-16T09:00:00Z", "hr": "190", "weight": "81.0", "symptom_date": "2026-03-16",
                               "symptoms___1": "1", "symptoms___3": "1"])
        // Lines 4 and 5: the repeating diary, dated by diary_date: a date keeps its calendar date.
        #expect(records(4) == ["diary_date": "2026-03-03", "dose_taken": "1"] && records(5) == ["diary_date": "2026-03-04", "dose_taken": "0"])
        #expect(rows.filter { ($0["source_line"] as Int) == 4 }.allSatisfy { ($0["observed_at"] as String) == "2026-03-03T00:00:00Z" })
        // Line 7: Boston 09:00 on 22 March (EDT) is 13:00 UTC; all-zero checkboxes record nothing.
        #expect(records(7) == ["visit_datetime": "2026-03-22T13:00:00Z", "sysbp": "121", "hr": "66", "weight": "70.0"])
        #expect(records(8).count == 4 && records(12).isEmpty, "R-003's baseline; an empty row is nothing")
        let rejects = try box.workspace.rejects(runID: receipt.runID).map(\.reject)
        let byLine = Dictionary(grouping: rejects, by: { $0.line ?? 0 })
        #expect(byLine[3]?.map(\.field) == ["sysbp"] && byLine[3]?.first?.reason.contains("300 is above the maximum 250 (a hard range check") == true)
        #expect(byLine[6]?.first?.reason.contains("does not exist in America/New_York") == true, "02:30 on 8 March 2026 is skipped by daylight saving")
        #expect(byLine[9]?.first?.reason.contains("withdrew") == true, "R-003 withdrew on 20 March")
        #expect(byLine[10]?.first?.reason.contains("no accepted consent") == true)
        #expect(byLine[11]?.first?.field == "redcap_event_name" && byLine[11]?.first?.reason.contains("follow_up_arm_1") == true)
        #expect(byLine[13]?.first?.reason.contains("no collection date") == true)
        #expect(Set(byLine.keys) == [3, 6, 9, 10, 11, 13], "\(rejects)")
        #expect(receipt.recordCount == 4 + 6 + 2 + 2 + 4 + 4 && receipt.rejectCount == 6)
        // The soft-range flag is signed with the file's artifact.
        let artifact = try JSONValue.parse(try box.workspace.artifactBytes(try #require(try box.workspace.latestArtifact("measurements/export.csv"))))
        #expect(artifact["flagged"]?.arrayValue?.map { $0["field"]?.stringValue } == ["hr"])
        // The stage's settings are in its attestation.
        let statement = try box.workspace.read { try DSSEEnvelope(parsing: try $0.entry(receipt.entryIndex).entry).statement() }
        let parameters = statement.predicate["parameters"]
        #expect(parameters?["layout"]?.stringValue == "redcap")
        #expect(parameters?["redcap"]?["timeZones"]?["boston"]?.stringValue == "America/New_York")
        _ = try box.workspace.verifyLedger()
    }

    @Test func badSettingsAndExportsAreOneLineErrorsAndStoreNothing() throws {
        let box = try prepared()
        let before = try box.snapshot()
        #expect(throws: REDCapError.self, "no time zone") { try REDCapLayout(dateFields: ["visit_datetime"], timeZones: [:]) }
        #expect(throws: REDCapError.self, "not an IANA zone") { try REDCapLayout(dateFields: ["visit_datetime"], timeZones: ["*": "Central European"]) }
        #expect(throws: REDCapError.self, "no date field") { try REDCapLayout(dateFields: [], timeZones: ["*": "UTC"]) }
        let unknownField = try box.write("redcap/unknown.csv", "record_id,redcap_event_name,redcap_data_access_group,visit_datetime,cholesterol\nR-001,baseline_arm_1,berlin,2026-03-02 09:30,190\n")
        do {
            _ = try box.ingestor.ingestMeasurements([unknownField], options: IngestOptions(layout: try layout()))
            Issue.record("a field the protocol does not define was accepted")
        } catch let error as REDCapError {
            #expect("\(error)".contains("unknown.csv:1: field \"cholesterol\" is not an item of protocol"), "\(error)")
        }
        let noGroup = try box.write("redcap/nogroup.csv", "record_id,redcap_event_name,visit_datetime,hr\nR-001,baseline_arm_1,2026-03-02 09:30,70\n")
        #expect(throws: REDCapError.self, "no DAG column and no --site") { try box.ingestor.ingestMeasurements([noGroup], options: IngestOptions(layout: try layout())) }
        // A site without a zone: its local times are rejected row by row, with the reason.
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([try file("export.csv")], options: IngestOptions(layout: try layout(["berlin": "Europe/Berlin"]))))
        #expect(try box.workspace.rejects(runID: receipt.runID).contains { $0.reject.reason.contains("none is set for this site") })
        _ = before
    }
}
