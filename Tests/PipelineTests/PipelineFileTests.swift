import Foundation
import Testing
@testable import Ingest
@testable import Pipeline
@testable import Workspace

/// A folder with the sample trial and a `Pipelines/` subfolder for pipeline files.
final class PipelineSandbox {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
    static let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData")

    init() throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Pipelines"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: PipelineSandbox.sampleData, to: root.appendingPathComponent("SampleData"))
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func pipeline(_ text: String, name: String = "p.yml") throws -> PipelineFile {
        let url = root.appendingPathComponent("Pipelines").appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return try PipelineFile(url: url, displayName: "Pipelines/\(name)")
    }
}

let demo = """
pipeline: demo
trial: DEMO-2026-001
stages:
  - name: measurements
    kind: ingest/measurements
    inputs: ["SampleData/measurements/*.csv"]
  - name: consents
    kind: ingest/consents
    inputs: ["SampleData/consents/*.json"]
  - name: protocol
    kind: ingest/protocol
    inputs: [SampleData/protocol.xml]
"""

@Suite("Pipeline files")
struct PipelineFileTests {
    @Test func stagesRunInDependencyOrderWithResolvedInputs() throws {
        let box = try PipelineSandbox()
        let file = try box.pipeline(demo)
        #expect(file.stages.map(\.name) == ["protocol", "consents", "measurements"])
        #expect(file.stages[2].inputs == ["SampleData/measurements/site-101.csv", "SampleData/measurements/site-102.csv", "SampleData/measurements/site-103.csv"])
        #expect(file.stages[1].inputs.count == 61)
    }

    @Test(arguments: [
        ("pipeline: x\ntrial: T\ncolour: red\nstages: []\n", 3, "colour"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/protocol\n    inputs: [SampleData/protocol.xml]\n    retries: 3\n", 7, "retries"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: contract/payouts\n    inputs: [SampleData/protocol.xml]\n", 5, "kind"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/protocol\n    inputs: [SampleData/nope.xml]\n", 6, "inputs"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/consents\n    inputs: [\"SampleData/consents/*.json\"]\n    after: [b]\n  - name: b\n    kind: ingest/consents\n    inputs: [\"SampleData/consents/*.json\"]\n    after: [a]\n", 4, "after"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/consents\n    inputs: [\"SampleData/consents/*.json\"]\n    after: [ghost]\n", 4, "after"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/consents\n    inputs: [\"SampleData/consents/*.json\"]\n    parameters: {map: \"participant=ID\"}\n", 7, "map"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n    kind: ingest/protocol\n    inputs: [SampleData/protocol.xml]\n    parameters: {max-rejects: lots}\n", 7, "max-rejects"),
        ("pipeline: x\ntrial: T\nstages:\n  - name: a\n   kind: [unclosed\n", 5, "(yaml)"),
        ("pipeline: x\nstages: []\n", 1, "trial"),
    ] as [(String, Int, String)])
    func malformedPipelinesNameTheLineAndKey(text: String, line: Int, key: String) throws {
        let box = try PipelineSandbox()
        #expect {
            try box.pipeline(text)
        } throws: { error in
            guard case let .invalid(file, errorLine, errorKey, _)? = error as? PipelineError else { return false }
            return file == "Pipelines/p.yml" && errorKey == key && errorLine == line
        }
    }
}

@Suite("Pipeline runs", .serialized)
struct PipelineRunTests {
    @Test func aRunCommitsEveryStageAndAReRunAppendsNothing() throws {
        let box = try PipelineSandbox()
        let file = try box.pipeline(demo)
        let workspace = try PipelineRunner.workspace(at: box.root.appendingPathComponent("ws"), for: file)
        let first = try PipelineRunner(pipeline: file, workspace: workspace).run()
        #expect(first.map(\.name) == ["protocol", "consents", "measurements"])
        #expect(first.allSatisfy { if case .committed = $0.outcome { return true } else { return false } })
        let second = try PipelineRunner(pipeline: file, workspace: workspace).run()
        #expect(second.map(\.outcome) == [.unchanged(entryIndex: 0), .unchanged(entryIndex: 1), .unchanged(entryIndex: 2)])
        #expect(try workspace.read { try $0.size() } == 3)
    }

    @Test func aFailingStageStopsTheRunWithEarlierStagesCommitted() throws {
        let box = try PipelineSandbox()
        let text = demo.replacingOccurrences(of: "    inputs: [\"SampleData/measurements/*.csv\"]",
                                             with: "    inputs: [\"SampleData/measurements/*.csv\"]\n    parameters: {max-rejects: 3}")
        let file = try box.pipeline(text)
        let workspace = try PipelineRunner.workspace(at: box.root.appendingPathComponent("ws"), for: file)
        #expect {
            try PipelineRunner(pipeline: file, workspace: workspace).run()
        } throws: { error in
            guard case let .stageFailed(stage, position, total, reason)? = error as? PipelineError else { return false }
            return stage == "measurements" && position == 3 && total == 3 && reason.contains("--max-rejects 3")
        }
        #expect(try workspace.read { try $0.size() } == 2)
        // Resuming with a fixed file runs only what is left.
        let fixed = try box.pipeline(demo)
        let results = try PipelineRunner(pipeline: fixed, workspace: workspace).run()
        #expect(results.map(\.outcome)[0...1] == [.unchanged(entryIndex: 0), .unchanged(entryIndex: 1)])
        #expect(try workspace.read { try $0.size() } == 3)
    }

    @Test func aWorkspaceOfAnotherTrialIsRefused() throws {
        let box = try PipelineSandbox()
        let root = box.root.appendingPathComponent("ws")
        _ = try Workspace.create(at: root, trialID: "OTHER")
        #expect(throws: PipelineError.self) { try PipelineRunner.workspace(at: root, for: try box.pipeline(demo)) }
    }
}
