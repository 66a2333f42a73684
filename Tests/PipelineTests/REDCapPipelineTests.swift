import Foundation
import GRDB
import Testing
@testable import Ingest
@testable import Pipeline
@testable import Workspace

/// Issue 17: a REDCap project run as a pipeline: its settings are stage parameters.
@Suite("REDCap in pipelines", .serialized)
struct REDCapPipelineTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Corpus/redcap")

    func sandbox() throws -> PipelineSandbox {
        let box = try PipelineSandbox()
        try FileManager.default.copyItem(at: Self.corpus, to: box.root.appendingPathComponent("redcap"))
        return box
    }

    static let pipeline = """
        pipeline: redcap
        trial: RC-2026
        stages:
          - name: protocol
            kind: ingest/protocol
            inputs: [redcap/project.xml]
          - name: consents
            kind: ingest/consents
            inputs: [redcap/consent-register.csv]
            parameters: {approved-form-versions: ["1.0"]}
          - name: measurements
            kind: ingest/measurements
            inputs: [redcap/export.csv]
            parameters:
              layout: redcap
              date-fields: [visit_datetime, diary_date, symptom_date]
              time-zones: {berlin: Europe/Berlin, boston: America/New_York}
              units: {weight: kg}
        """

    @Test func aREDCapPipelineRunsAndResumesAsUnchanged() throws {
        let box = try sandbox()
        let file = try box.pipeline(Self.pipeline)
        #expect(file.stages[2].redcap?.timeZones == ["berlin": "Europe/Berlin", "boston": "America/New_York"])
        #expect(file.stages[1].approvedFormVersions == ["1.0"])
        let workspace = try Workspace.create(at: box.root.appendingPathComponent("ws"), trialID: "RC-2026")
        let results = try PipelineRunner(pipeline: file, workspace: workspace).run()
        guard case let .committed(measurements) = results[2].outcome else { Issue.record("the measurement stage did not commit"); return }
        #expect(measurements.recordCount == 22 && measurements.rejectCount == 6)
        let units = try workspace.read { try String.fetchAll($0.db, sql: "SELECT DISTINCT unit FROM record_rows WHERE item = 'weight'") }
        #expect(units == ["kg"], "units come from the stage's settings")
        let again = try PipelineRunner(pipeline: file, workspace: workspace).run()
        #expect(again.allSatisfy { if case .unchanged = $0.outcome { return true } else { return false } })
    }

    @Test func redcapSettingsAreCheckedWithThePipeline() throws {
        let box = try sandbox()
        for (change, message) in [
            ("      layout: redcap\n", "date-fields, time-zones, site and units are settings of layout: redcap"),
            ("time-zones: {berlin: Europe/Berlin, boston: America/New_York}", "not an IANA time zone"),
            ("date-fields: [visit_datetime, diary_date, symptom_date]", "name the field(s) that date each row"),
        ] {
            let text = change.hasPrefix("time-zones") ? Self.pipeline.replacingOccurrences(of: change, with: "time-zones: Mars/Olympus")
                : change.hasPrefix("date-fields") ? Self.pipeline.replacingOccurrences(of: "      " + change + "\n", with: "")
                : Self.pipeline.replacingOccurrences(of: change, with: "")
            do {
                _ = try box.pipeline(text)
                Issue.record("accepted: \(message)")
            } catch let error as PipelineError {
                #expect("\(error)".contains(message) && "\(error)".contains("Pipelines/p.yml:"), "\(error)")
            }
        }
    }
}
