import Foundation
import GRDB
import Testing
@testable import Ingest
@testable import Workspace

/// Issue 17: measurements straight from an EDC's CDISC ODM 1.3 `ClinicalData` export, streamed,
/// checked like CSV rows, rejected with their lines.
@Suite("ODM ClinicalData", .serialized)
struct ODMClinicalDataTests {
    func file(_ path: String) throws -> InputFile { try InputFile(url: Corpus.url(path), name: path) }

    @Test func clinicalDataIsReadLikeCSVRowsWithItsAuditTimes() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([try file("odm-clinical/clinical-data.xml")]))
        let rows = try box.workspace.read {
            try Row.fetchAll($0.db, sql: "SELECT participant, site, visit, item, value, observed_at, source_line FROM records WHERE run_id = ? ORDER BY id", arguments: [receipt.runID])
        }
        let seen = rows.map { "\($0["item"] as String)=\($0["value"] as String)@\($0["observed_at"] as String)" }
        // The form's audit time dates its items; an item's own audit time wins (15:00+01:00 = 14:00 UTC);
        // an ODM 1.3.2 typed ItemDataInteger holds its value as text; Remove and IsNull are no measurement.
        #expect(seen == ["IT.SYSBP=133@2026-01-21T14:11:00Z", "IT.DIABP=81@2026-01-21T14:00:00Z", "IT.HR=70@2026-01-21T14:11:00Z"], "\(seen)")
        #expect(rows.allSatisfy { ($0["site"] as String) == "101" && ($0["visit"] as String) == "SE.SCREENING" && ($0["participant"] as String) == "P-0001" })
        let rejects = try box.workspace.rejects(runID: receipt.runID).map(\.reject)
        #expect(rejects.count == 4 && receipt.recordCount == 3, "\(rejects)")
        #expect(rejects.contains { $0.reason.contains("item \"IT.CHOL\" is not defined") })
        #expect(rejects.contains { $0.reason.contains("400 is above the maximum 220") })
        #expect(rejects.contains { $0.reason.contains("no collection time") && $0.field == "AuditRecord/DateTimeStamp" })
        #expect(rejects.contains { $0.reason.contains("P-9999 has no accepted consent") })
        // Every reject names its line in the file (the ItemData's).
        let lines = try String(contentsOf: Corpus.url("odm-clinical/clinical-data.xml"), encoding: .utf8).components(separatedBy: "\n")
        for reject in rejects {
            let line = try #require(reject.line)
            let item = reject.raw?.components(separatedBy: "ItemOID=").last ?? "?"
            #expect(line >= 1 && line <= lines.count && lines[line - 1].contains(item), "line \(line) for \(item): \(line <= lines.count ? lines[line - 1] : "")")
        }
        _ = try box.workspace.verifyLedger()
    }

    @Test func theStoredSourceIsTheBytesParsedAndAChangedFileFailsTheStage() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let original = try String(contentsOf: Corpus.url("odm-clinical/clinical-data.xml"), encoding: .utf8)
        let hashed = try box.write("clinical.xml", original)
        let before = try box.snapshot()
        // Hashed, then changed (one value, same length) before the stage reads it.
        try Data(original.replacingOccurrences(of: "Value=\"133\"", with: "Value=\"139\"").utf8).write(to: hashed.url)
        do {
            _ = try box.ingestor.ingestMeasurements([hashed])
            Issue.record("an ODM file changed after it was hashed was ingested")
        } catch let error as WorkspaceError {
            #expect("\(error)".contains("changed while it was being ingested"), "\(error)")
        }
        #expect(try box.snapshot() == before)
        try Data(original.utf8).write(to: hashed.url)
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([hashed]))
        #expect(receipt.recordCount == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.workspace.objects.path(for: hashed.sha256))) == Data(original.utf8))
    }

    @Test func clinicalDataOfAnotherStudyFailsWholeAndStoresNothing() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let before = try box.snapshot()
        do {
            _ = try box.ingestor.ingestMeasurements([try file("odm-clinical/other-study.xml")])
            Issue.record("ClinicalData of another study was accepted")
        } catch let error as XMLStreamError {
            #expect("\(error)".contains("ClinicalData of study ANOTHER-STUDY, but the protocol is study DEMO-2026-001"), "\(error)")
        }
        #expect(try box.snapshot() == before)
        let bomb = try box.write("bomb.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE ODM [<!ENTITY a \"aaaa\">]>\n<ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\">&a;</ODM>\n")
        #expect(throws: XMLStreamError.self) { try box.ingestor.ingestMeasurements([bomb]) }
        #expect(try box.snapshot() == before)
    }

    /// REDCap's ODM flavour (REDCapR's real export): no audit records, so values are dated by the
    /// REDCap settings' date field, in the site's zone.
    @Test func aREDCapODMExportIsDatedByItsDateField() throws {
        let box = try IngestSandbox()
        let project = try file("odm/redcapr_longitudinal_project.xml")
        _ = try box.ingestor.ingestProtocol(project)
        let register = try box.write("register/consents.csv", """
            participant,form_version,signed_at,document
            100,1.0,2015-04-01T08:00:00Z,consent.pdf
            220,1.0,2015-04-01T08:00:00Z,consent.pdf
            304,1.0,2015-04-01T08:00:00Z,consent.pdf

            """)
        try Data("%PDF-1.4 consent\n".utf8).write(to: box.root.appendingPathComponent("register/consent.pdf"))
        var consentOptions = IngestOptions()
        consentOptions.approvedFormVersions = ["1.0"]
        #expect(try box.receipt(try box.ingestor.ingestConsents([register], options: consentOptions)).recordCount == 3)
        let layout = try MeasurementLayout(redcap: REDCapLayout(dateFields: ["date_enrolled"], timeZones: ["*": "America/Chicago"], site: "OUHSC"))
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([project], options: IngestOptions(layout: layout)))
        let enrolled = try box.workspace.read {
            try String.fetchAll($0.db, sql: "SELECT DISTINCT observed_at FROM records WHERE run_id = ?", arguments: [receipt.runID])
        }
        #expect(enrolled == ["2015-04-02T00:00:00Z"], "the enrollment events, dated by date_enrolled (a date keeps its calendar date)")
        #expect(receipt.recordCount > 20, "\(receipt.recordCount)")
        let rejects = try box.workspace.rejects(runID: receipt.runID).map(\.reject)
        #expect(rejects.contains { $0.reason.contains("none of date_enrolled is filled in its event") }, "events without a date field are not dated")
    }
}
