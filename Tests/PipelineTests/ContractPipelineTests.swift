import Attestation
import Contracts
import Foundation
import Reports
import Testing
@testable import Ingest
@testable import Pipeline
@testable import Workspace

/// The repository's Pipelines folder (the sample contracts).
let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Pipelines")

extension PipelineSandbox {
    /// Copies the sample contracts in, optionally edited.
    func contracts(editing edit: (String) -> String = { $0 }) throws {
        let folder = root.appendingPathComponent("Pipelines/contracts")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["participant-payments.yml", "dosing-adherence.yml"] {
            let text = try String(contentsOf: pipelines.appendingPathComponent("contracts/\(name)"), encoding: .utf8)
            try Data(edit(text).utf8).write(to: folder.appendingPathComponent(name))
        }
    }

    /// The demo pipeline as shipped.
    func demoPipeline() throws -> PipelineFile {
        try pipeline(try String(contentsOf: pipelines.appendingPathComponent("demo.yml"), encoding: .utf8), name: "demo.yml")
    }
}

@Suite("Pipelines with contracts and reports", .serialized)
struct ContractPipelineTests {
    @Test func aMalformedContractFailsThePipelineBeforeAnythingRuns() throws {
        let box = try PipelineSandbox()
        try box.contracts { $0.replacingOccurrences(of: "    late: 20.00\n  - visit: SE.WEEK4", with: "    lat: 20.00\n  - visit: SE.WEEK4") }
        #expect(throws: PipelineError.invalid(file: "Pipelines/contracts/participant-payments.yml", line: 18, key: "lat",
                                              message: "unknown key; expected one of early, items, late, on-time, visit")) {
            try box.demoPipeline()
        }
        #expect(!FileManager.default.fileExists(atPath: box.root.appendingPathComponent(".trialchain").path))
    }

    @Test(arguments: [
        ("  - name: r\n    kind: report\n    parameters: {contracts: [protocol]}\n", 7, "contracts", "protocol is not a contract stage"),
        ("  - name: r\n    kind: report\n    inputs: [SampleData/protocol.xml]\n", 9, "inputs", "a report stage reads contract outputs"),
        ("  - name: r\n    kind: report\n    parameters: {formats: [pdf]}\n", 9, "formats", "unknown report format pdf"),
        ("  - name: c\n    kind: contract\n    inputs: [Pipelines/contracts/nope.yml]\n", 9, "inputs", "matches no file"),
        ("  - name: c\n    kind: contract\n    inputs: [Pipelines/contracts/participant-payments.yml]\n    parameters: {max-rejects: 3}\n", 10, "max-rejects", "takes no parameters"),
    ])
    func badContractAndReportStagesAreRefused(_ stage: String, _ line: Int, _ key: String, _ message: String) throws {
        let box = try PipelineSandbox()
        try box.contracts()
        let text = "pipeline: p\ntrial: T\nstages:\n  - name: protocol\n    kind: ingest/protocol\n    inputs: [SampleData/protocol.xml]\n" + stage
        do {
            _ = try box.pipeline(text)
            Issue.record("accepted")
        } catch let PipelineError.invalid(_, gotLine, gotKey, gotMessage) {
            #expect(gotLine == line && gotKey == key && gotMessage.contains(message), "\(gotLine) \(gotKey) \(gotMessage)")
        }
    }

    @Test func reportsRunAfterTheirContractsAndContractsAfterIngest() throws {
        let box = try PipelineSandbox()
        try box.contracts()
        let file = try box.pipeline("""
            pipeline: p
            trial: DEMO-2026-001
            stages:
              - {name: reports, kind: report}
              - {name: adherence, kind: contract, inputs: [Pipelines/contracts/dosing-adherence.yml]}
              - {name: measurements, kind: ingest/measurements, inputs: ["SampleData/measurements/*.csv"]}
              - {name: protocol, kind: ingest/protocol, inputs: [SampleData/protocol.xml]}
              - {name: consents, kind: ingest/consents, inputs: ["SampleData/consents/*.json"]}
            """)
        #expect(file.stages.map(\.name) == ["protocol", "consents", "measurements", "adherence", "reports"])
        #expect(file.stages.last?.reportOf == ["adherence"] && file.stages.last?.formats == [.csv, .json, .html])
    }

    /// Runs the demo pipeline in a fresh sandbox; returns the workspace.
    func runDemo(_ box: PipelineSandbox) throws -> (Workspace, [StageResult]) {
        try box.contracts()
        let file = try box.demoPipeline()
        let workspace = try PipelineRunner.workspace(at: box.root.appendingPathComponent(".trialchain"), for: file)
        return (workspace, try PipelineRunner(pipeline: file, workspace: workspace).run())
    }

    @Test func theDemoPipelineWritesAnchoredReports() throws {
        let box = try PipelineSandbox()
        let (workspace, results) = try runDemo(box)
        #expect(results.map(\.kind) == ["ingest/protocol", "ingest/consents", "ingest/measurements", "contract", "contract", "report"])
        let reportFiles = results.last!.files
        #expect(reportFiles.count == 6)
        for path in reportFiles {
            let name = "reports/" + path.components(separatedBy: "/reports/").last!
            let version = try #require(try workspace.latestArtifact(name), "\(name)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try workspace.artifactBytes(version)), "the file is the anchored bytes")
        }
        // Attestations of contract and report stages name the pipeline file.
        let entry = try workspace.read { try $0.entry(5) }
        let predicate = try DSSEEnvelope(parsing: entry.entry).statement().predicate
        #expect(predicate["kind"] == "report" && predicate["pipeline"]?["name"] == "Pipelines/demo.yml")
    }

    /// Reproducibility: a contract's output is a pure function of the anchored records. On a
    /// copy of the workspace (another machine, another path) re-evaluating every contract and
    /// re-rendering every report gives the anchored bytes exactly. Two workspaces that ingested
    /// the same files independently (in another order on disk) agree on everything but the
    /// record leaf hashes, which are salted per participant with each workspace's random salts.
    @Test func outputsAreReproducibleByteForByte() throws {
        let first = try PipelineSandbox()
        let (original, _) = try runDemo(first)

        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try FileManager.default.copyItem(at: original.layout.root, to: elsewhere)
        let copy = try Workspace.open(at: elsewhere)
        let (inputs, _) = try ContractInputs.load(from: copy)
        for name in ["participant-payments", "dosing-adherence"] {
            let contract = try ContractFile(url: first.root.appendingPathComponent("Pipelines/contracts/\(name).yml"), displayName: "Pipelines/contracts/\(name).yml")
            let anchored = try #require(try original.latestArtifact(contract.artifactName))
            #expect(try ContractRunner.evaluate(contract, inputs) == (try original.artifactBytes(anchored)), "\(name) re-evaluated on the copy")
            for format in ReportFormat.allCases {
                let report = try #require(try original.latestArtifact("reports/\(contract.artifactName).\(format.rawValue)"))
                let context = try ReportContext.of(anchored, in: copy)
                #expect(context.signature?["meaning"] == "performed" && context.entryIndex != nil)
                #expect(try ReportRunner.render(try copy.artifactBytes(anchored), context: context, format: format) == (try original.artifactBytes(report)))
            }
        }

        // A second, independent run with the input files created in the reverse order.
        let second = try PipelineSandbox()
        let folder = second.root.appendingPathComponent("SampleData/measurements")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let saved = try names.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        for name in names { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        for (name, data) in zip(names, saved).reversed() { try data.write(to: folder.appendingPathComponent(name)) }
        let (independent, _) = try runDemo(second)
        func withoutLeafHashes(_ value: JSONValue) -> JSONValue {
            switch value {
            case let .object(members): return .object(members.filter { $0.key != "leafHash" }.mapValues(withoutLeafHashes))
            case let .array(elements): return .array(elements.map(withoutLeafHashes))
            default: return value
            }
        }
        for name in ["payouts/participant-payments", "adherence/dosing-adherence"] {
            let a = try JSONValue.parse(try original.artifactBytes(try #require(try original.latestArtifact(name))))
            let b = try JSONValue.parse(try independent.artifactBytes(try #require(try independent.latestArtifact(name))))
            #expect(a != b, "salts differ between workspaces, so leaf hashes do")
            #expect(CanonicalJSON.encode(withoutLeafHashes(a)) == CanonicalJSON.encode(withoutLeafHashes(b)), "\(name): the same lines, amounts and record ids")
        }
    }
}
