import Attestation
@testable import Audit
import Contracts
import Foundation
import Ingest
import Pipeline
import Reports
import GRDB
import Testing
@testable import Workspace

/// A copy of SampleData and Pipelines with the demo pipeline run in it.
final class DemoRun {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("reexec-\(UUID().uuidString)")
    let workspace: Workspace

    init() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for folder in ["SampleData", "Pipelines"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent(folder), to: root.appendingPathComponent(folder))
        }
        let pipeline = try PipelineFile(url: root.appendingPathComponent("Pipelines/demo.yml"), displayName: "Pipelines/demo.yml")
        workspace = try PipelineRunner.workspace(at: root.appendingPathComponent(".trialchain"), for: pipeline)
        _ = try PipelineRunner(pipeline: pipeline, workspace: workspace).run()
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func contract(_ name: String) throws -> ContractFile {
        try ContractFile(url: root.appendingPathComponent("Pipelines/contracts/\(name).yml"), displayName: "Pipelines/contracts/\(name).yml")
    }
}

func storedAt(_ demo: DemoRun, _ sha256: String) throws -> String {
    try demo.workspace.read { try String.fetchOne($0.db, sql: "SELECT stored_at FROM objects WHERE sha256 = ?", arguments: [sha256]) ?? "" }
}

@Suite("Re-execution of contracts and reports", .serialized)
struct ReexecutionTests {
    @Test func everyContractAndReportRunReproducesByteForByte() throws {
        let demo = try DemoRun()
        let report = try Reexecutor(workspace: demo.workspace).run()
        #expect(report == ReexecutionReport(contractRuns: 2, reportRuns: 1, outputs: 8, consentIndexes: 1))
    }

    @Test func pastRunsReproduceFromTheInputsTheyRead() throws {
        let demo = try DemoRun()
        // A corrected site file (one value changed) is a new version; the contracts run again on it.
        let site = demo.root.appendingPathComponent("SampleData/measurements/site-103.csv")
        var lines = try String(contentsOf: site, encoding: .utf8).components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.contains(",SE.WEEK2,IT.SYSBP,") })
        var fields = lines[index].components(separatedBy: ",")
        fields[4] = String((Int(fields[4]) ?? 120) + 1)
        lines[index] = fields.joined(separator: ",")
        try Data(lines.joined(separator: "\n").utf8).write(to: site)
        let files = try ["site-101.csv", "site-102.csv", "site-103.csv"].map {
            try InputFile(url: demo.root.appendingPathComponent("SampleData/measurements/\($0)"), name: "SampleData/measurements/\($0)")
        }
        _ = try Ingestor(workspace: demo.workspace).ingestMeasurements(files, options: IngestOptions(reason: "site 103 corrected a systolic value"))
        for name in ["participant-payments", "dosing-adherence"] {
            guard case .committed = try ContractRunner(workspace: demo.workspace).run(try demo.contract(name)) else {
                Issue.record("\(name) did not run again on the new records"); return
            }
        }
        let report = try Reexecutor(workspace: demo.workspace).run()
        #expect(report.contractRuns == 4, "the old runs reproduce from the old records, the new ones from the new")
    }

    @Test func runsUnderEarlierRulesAreNamedOnlyBeforeTheFirstRunUnderTheseRules() throws {
        // A trial with records and no contract run yet (the record-proof tests' setup).
        let trial = try ProvenTrial()
        defer { try? FileManager.default.removeItem(at: trial.root) }
        let workspace = trial.workspace
        let contract = try ContractFile(url: repository.appendingPathComponent("Pipelines/contracts/participant-payments.yml"), displayName: "participant-payments.yml")
        /// A contract run as an earlier build made it: no `rules` parameter, output as given.
        func oldRun(_ output: [UInt8], note: String) throws {
            let (_, materials) = try ContractInputs.load(from: workspace)
            let description = StageDescription(
                stage: "payouts", kind: "contract", materials: materials,
                parameters: ["contract": .string(contract.name), "version": 1, "type": "payouts", "note": .string(note)],
                contract: StageMaterial(name: "participant-payments.yml", sha256: contract.sha256), derived: true)
            _ = try workspace.runStage(description) { writer in
                _ = try writer.storeDocument(bytes: contract.bytes)
                return [StageArtifact(name: contract.artifactName, bytes: output)]
            }
        }
        try oldRun(Array("{\"made\":\"by an earlier build\"}".utf8), note: "old")
        #expect(try Reexecutor(workspace: workspace).run().earlierRulesRuns == 1, "named, not failed")
        _ = try ContractRunner(workspace: workspace).run(contract)
        try oldRun(Array("{\"forged\":\"after an upgrade\"}".utf8), note: "forged")
        #expect(throws: IntegrityFailure.self, "a claim of earlier rules after a run under these rules is re-executed") {
            try Reexecutor(workspace: workspace).run()
        }
    }

    @Test func aForgedContractOutputIsCaughtOnlyByReexecution() throws {
        let demo = try DemoRun()
        let contract = try demo.contract("participant-payments")
        let (inputs, materials) = try ContractInputs.load(from: demo.workspace)
        var output = try JSONValue.parse(ContractRunner.evaluate(contract, inputs))
        // A dishonest operator anchors payouts with one more euro for the trial, signed as usual.
        if case var .object(members) = output {
            members["total"] = .integer((members["total"]?.integerValue ?? 0) + 100)
            output = .object(members)
        }
        let description = StageDescription(
            stage: "payouts", kind: "contract", materials: materials,
            parameters: ["contract": .string(contract.name), "version": 1, "type": "payouts", "note": "forged"],
            contract: StageMaterial(name: "participant-payments.yml", sha256: contract.sha256), derived: true)
        guard case let .committed(receipt) = try demo.workspace.runStage(description, { _ in
            [StageArtifact(name: contract.artifactName, bytes: CanonicalJSON.encode(output))]
        }) else { Issue.record("not committed"); return }
        _ = try demo.workspace.verifyLedger(external: nil)
        do {
            _ = try Reexecutor(workspace: demo.workspace).run()
            Issue.record("the forged output passed re-execution")
        } catch let IntegrityFailure.reexecutionMismatch(run, stage, artifact, anchored, _) {
            #expect(run == receipt.runID && stage == "payouts" && artifact == "payouts/participant-payments")
            #expect(anchored == receipt.artifacts.first?.sha256)
        }
    }

    @Test func aMissingContractFileMeansTheRunCannotBeReexecuted() throws {
        let demo = try DemoRun()
        let contract = try demo.contract("dosing-adherence")
        try FileManager.default.removeItem(at: demo.workspace.objects.url(for: contract.sha256))
        let run = try demo.workspace.stageRuns().first { $0.stage == "adherence" }!.id
        #expect(throws: IntegrityFailure.objectMissing(name: "contract file of stage run \(run)", sha256: contract.sha256)) { try demo.workspace.verifyLedger(external: nil) }
        #expect(throws: IntegrityFailure.self) { try Reexecutor(workspace: demo.workspace).run() }
        do { _ = try Reexecutor(workspace: demo.workspace).run() } catch {
            #expect("\(error)".contains("dosing-adherence.yml is not in the object store"), "\(error)")
        }
    }
}
