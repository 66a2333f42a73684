import Attestation
import Audit
import Contracts
import Foundation
import Reports
import Testing
import Pipeline
@testable import Workspace

/// Contract outputs and reports are written to temporary files of the store and read back as
/// streams. What a forger who edits a stored output gets, and what is left on disk.
@Suite("Streamed contract outputs and reports", .serialized)
struct StreamedOutputTests {

    func temporaryFiles(_ workspace: Workspace) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: workspace.objects.temporaryFolder)) ?? []
    }

    /// Every way of changing a stored output's bytes — one digit of an amount (same length, still
    /// canonical JSON), a valid output of other participants, a cut file — stops a report before
    /// it writes anything: the stream is checked against the anchored digest.
    @Test func aReportOfAnAlteredOutputIsRefusedAndLeavesNothing() throws {
        let demo = try DemoRun()
        let workspace = demo.workspace
        let version = try #require(try workspace.latestArtifact("payouts/participant-payments"))
        let path = workspace.objects.path(for: version.sha256)
        let original = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: original, as: UTF8.self)
        let amount = try #require(text.range(of: "\"amount\":2500,"))
        let forgeries: [(String, Data)] = [
            ("one amount", Data(text.replacingCharacters(in: amount, with: "\"amount\":9500,").utf8)),
            ("other participants", Data(text.replacingOccurrences(of: "P-0001", with: "P-9999").utf8)),
            ("cut", original.prefix(original.count / 2)),
        ]
        let size = try workspace.read { try $0.size() }
        for (what, bytes) in forgeries {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            try bytes.write(to: URL(fileURLWithPath: path))
            for format in ReportFormat.allCases {
                do {
                    _ = try ReportRunner(workspace: workspace).run([version], formats: [format], stage: "report/again-\(format)")
                    Issue.record("\(what): a \(format) report of an altered output was anchored")
                } catch let WorkspaceError.ledgerInconsistent(message) {
                    #expect(message == "the object for payouts/participant-payments v1 was altered", "\(what) \(format): \(message)")
                }
            }
            #expect(try workspace.read { try $0.size() } == size, "\(what): nothing appended")
            #expect(temporaryFiles(workspace).isEmpty, "\(what): no temporary file left")
        }
        // Re-execution names the altered output rather than reproducing from it.
        #expect(throws: (any Error).self) { try Reexecutor(workspace: workspace).run() }
        try original.write(to: URL(fileURLWithPath: path))
        #expect(try Reexecutor(workspace: workspace).run().outputs == 8)
    }

    /// Reruns that append nothing, new report formats, and re-execution leave no temporary file,
    /// and a report's file equals its anchored blob.
    @Test func temporaryFilesDoNotOutliveTheirStage() throws {
        let demo = try DemoRun()
        let workspace = demo.workspace
        #expect(temporaryFiles(workspace).isEmpty)
        let file = try PipelineFile(url: demo.root.appendingPathComponent("Pipelines/demo.yml"), displayName: "Pipelines/demo.yml")
        let again = try PipelineRunner(pipeline: file, workspace: workspace).run()
        #expect(again.allSatisfy { if case .unchanged = $0.outcome { true } else { false } })
        #expect(temporaryFiles(workspace).isEmpty, "an unchanged contract or report run removes its output file")
        let runner = ReportRunner(workspace: workspace)
        let (outcome, reports) = try runner.run(try runner.contractOutputs(type: "adherence"), formats: [.csv], stage: "report/adherence")
        guard case .committed = outcome else { Issue.record("a new report stage was expected"); return }
        let target = demo.root.appendingPathComponent("out/adherence.csv")
        try ReportRunner.write(reports[0], to: target)
        let version = try #require(try workspace.latestArtifact("reports/adherence/dosing-adherence.csv"))
        #expect(Array(try Data(contentsOf: target)) == (try workspace.artifactBytes(version)))
        #expect(reports[0].sha256 == version.sha256 && reports[0].path == workspace.objects.path(for: version.sha256))
        _ = try Reexecutor(workspace: workspace).run()
        #expect(temporaryFiles(workspace).isEmpty, "re-execution spools nothing that stays")
    }
}
