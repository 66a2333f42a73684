import Attestation
@testable import Contracts
import Foundation
import Ingest
import Testing
import Workspace

/// The repository (tests run from a clone, so SampleData and Pipelines are always there).
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A workspace with the sample trial ingested.
final class SampleTrial {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("contracts-\(UUID().uuidString)")
    let workspace: Workspace

    init() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        workspace = try Workspace.create(at: root.appendingPathComponent("ws"), trialID: "DEMO-2026-001", origin: "example.org/trials/DEMO-2026-001")
        let ingestor = Ingestor(workspace: workspace)
        func files(_ folder: String, _ ext: String) throws -> [InputFile] {
            try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("SampleData/\(folder)").path)
                .filter { $0.hasSuffix(ext) }.sorted()
                .map { try InputFile(url: repository.appendingPathComponent("SampleData/\(folder)/\($0)"), name: "SampleData/\(folder)/\($0)") }
        }
        _ = try ingestor.ingestProtocol(try InputFile(url: repository.appendingPathComponent("SampleData/protocol.xml"), name: "SampleData/protocol.xml"))
        _ = try ingestor.ingestConsents(try files("consents", ".json"))
        _ = try ingestor.ingestMeasurements(try files("measurements", ".csv"))
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func contract(_ name: String) throws -> ContractFile {
        try ContractFile(url: repository.appendingPathComponent("Pipelines/contracts/\(name).yml"), displayName: "Pipelines/contracts/\(name).yml")
    }

    var size: UInt64 { get throws { try workspace.read { try $0.size() } } }

    func statement(_ index: UInt64) throws -> InTotoStatement {
        try DSSEEnvelope(parsing: try workspace.read { try $0.entry(index) }.entry).statement()
    }
}

@Suite("Contracts as anchored stages on the sample trial", .serialized)
struct ContractStageTests {
    @Test func aContractRunIsAttestedWithItsDigestAndEveryInputDigest() throws {
        let trial = try SampleTrial()
        let contract = try trial.contract("participant-payments")
        guard case let .committed(receipt) = try ContractRunner(workspace: trial.workspace).run(contract) else {
            Issue.record("not committed"); return
        }
        #expect(receipt.artifacts.map(\.name) == ["payouts/participant-payments"] && receipt.artifacts[0].version == 1)
        let statement = try trial.statement(receipt.entryIndex)
        let predicate = statement.predicate
        #expect(predicate["kind"] == "contract")
        #expect(predicate["contract"]?["digest"]?["sha256"]?.stringValue == contract.sha256)
        let materials = predicate["materials"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(materials.contains("protocol@v1") && materials.contains("measurements/site-101.csv@v1") && materials.contains("consent-index@v1"))
        #expect(!materials.contains { $0.hasPrefix("consents/") }, "the consent index stands for every consent file")
        #expect(materials.filter { $0.hasPrefix("records of run ") }.count == 2, "the consent and measurement record trees")
        #expect(statement.subjects.map(\.name) == ["payouts/participant-payments"])
        #expect(statement.subjects[0].sha256 == receipt.artifacts[0].sha256)

        let size = try trial.size
        #expect(try ContractRunner(workspace: trial.workspace).run(contract) == .unchanged(entryIndex: receipt.entryIndex))
        #expect(try trial.size == size)
    }

    @Test func theSampleTrialPaysWhatTheRulesSay() throws {
        let trial = try SampleTrial()
        _ = try ContractRunner(workspace: trial.workspace).run(try trial.contract("participant-payments"))
        let version = try #require(try trial.workspace.latestArtifact("payouts/participant-payments"))
        let output = try JSONValue.parse(try trial.workspace.artifactBytes(version))
        let participants = Dictionary(uniqueKeysWithValues: (output["participants"]?.arrayValue ?? []).map { ($0["participant"]!.stringValue!, $0) })
        #expect(participants["P-0017"] == nil && participants["P-9999"] == nil, "no accepted consent, no payout")
        #expect(participants.count == 59)
        func line(_ p: String, _ visit: String?) -> JSONValue? {
            participants[p]?["lines"]?.arrayValue?.first { $0["visit"] == (visit.map(JSONValue.string) ?? .null) }
        }
        // Every 11th participant's week 4 is 4 days late: the late amount, 20.00.
        #expect(line("P-0011", "SE.WEEK4")?["status"] == "late" && line("P-0011", "SE.WEEK4")?["amount"] == 2000)
        // Every 13th participant missed week 8.
        #expect(line("P-0013", "SE.WEEK8")?["status"] == "not-completed" && line("P-0013", "SE.WEEK8")?["amount"] == 0)
        // P-0009 withdrew after week 2: credit up to then is kept, no bonus.
        #expect(line("P-0009", "SE.WEEK2")?["amount"] == 4000 && line("P-0009", nil)?["status"] == "not-earned")
        #expect(participants["P-0009"]?["withdrawnAt"]?.stringValue != nil)
        // P-0023's week 2 was recorded twice: paid once.
        #expect(line("P-0023", "SE.WEEK2")?["notes"]?.arrayValue?.first?.stringValue?.hasPrefix("also recorded on") == true)

        // The evidence is real: each record id exists, belongs to the participant and visit, and has that leaf hash.
        var records: [Int64: StoredRecord] = [:]
        _ = try trial.workspace.forEachCurrentRecord(prefix: "measurements/") { records[$0.id] = $0 }
        var checked = 0
        for (id, participant) in participants {
            for line in participant["lines"]?.arrayValue ?? [] {
                for ref in line["records"]?.arrayValue ?? [] {
                    let record = try #require(records[ref["id"]!.integerValue!])
                    #expect(record.participant == id && record.leafHash.hex == ref["leafHash"]?.stringValue)
                    if let visit = line["visit"]?.stringValue { #expect(record.visit == visit) }
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
        let total = (output["participants"]?.arrayValue ?? []).reduce(Int64(0)) { $0 + ($1["total"]?.integerValue ?? 0) }
        #expect(output["totals"]?.arrayValue?.first?["total"]?.integerValue == total && output["totals"]?.arrayValue?.count == 1 && total > 0)
    }

    @Test func aContractNamingAnUnknownVisitIsRejectedBeforeEvaluation() throws {
        let trial = try SampleTrial()
        let size = try trial.size
        let text = try String(contentsOf: repository.appendingPathComponent("Pipelines/contracts/participant-payments.yml"), encoding: .utf8)
            .replacingOccurrences(of: "  - visit: SE.WEEK8", with: "  - visit: SE.WEEK6")
        let contract = try ContractFile(text: text, file: "bad.yml")
        #expect(throws: ContractError.invalid(file: "bad.yml", line: 22, key: "visit",
                                              message: "SE.WEEK6 is not a visit of protocol DEMO-2026-001 (visits: SE.SCREENING, SE.BASELINE, SE.WEEK2, SE.WEEK4, SE.WEEK8, SE.WEEK12, SE.FOLLOWUP, SE.DIARY)")) {
            try ContractRunner(workspace: trial.workspace).run(contract)
        }
        #expect(try trial.size == size)
        #expect(try trial.workspace.latestArtifact("payouts/participant-payments") == nil)
    }

    @Test func aNewContractVersionIsANewOutputVersionAndTheOldOneStays() throws {
        let trial = try SampleTrial()
        let runner = ContractRunner(workspace: trial.workspace)
        guard case let .committed(firstRun) = try runner.run(try trial.contract("participant-payments")) else {
            Issue.record("not committed"); return
        }
        let text = try String(contentsOf: repository.appendingPathComponent("Pipelines/contracts/participant-payments.yml"), encoding: .utf8)
            .replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(of: "participant-cap: 350.00", with: "participant-cap: 300.00")
        guard case let .committed(receipt) = try runner.run(try ContractFile(text: text, file: "participant-payments.yml")) else {
            Issue.record("not committed"); return
        }
        #expect(receipt.artifacts.map(\.version) == [2], "a derived output needs no --reason: its attestation names what changed")
        let old = try JSONValue.parse(try trial.workspace.artifactBytes(firstRun.artifacts[0]))
        let new = try JSONValue.parse(try trial.workspace.artifactBytes(receipt.artifacts[0]))
        #expect(old["contract"]?["version"] == 1 && new["contract"]?["version"] == 2)
        #expect((new["totals"]?.arrayValue?.first?["total"]?.integerValue ?? 0) < (old["totals"]?.arrayValue?.first?["total"]?.integerValue ?? 0), "a lower cap pays less")
        #expect(try trial.workspace.latestArtifact("payouts/participant-payments") == receipt.artifacts[0])
    }

    @Test func evaluationIsAPureFunctionOfTheInputsWhateverTheirOrder() throws {
        let trial = try SampleTrial()
        let (inputs, _) = try ContractInputs.load(from: trial.workspace)
        var shuffled = inputs
        var generator = SystemRandomNumberGenerator()
        shuffled.participants.shuffle(using: &generator)
        for index in shuffled.participants.indices { shuffled.participants[index].observations.shuffle(using: &generator) }
        shuffled = ContractInputs(trialProtocol: shuffled.trialProtocol, participants: shuffled.participants)
        for name in ["participant-payments", "dosing-adherence"] {
            let contract = try trial.contract(name)
            #expect(try ContractRunner.evaluate(contract, inputs) == ContractRunner.evaluate(contract, shuffled), "\(name)")
        }
    }
}

@Suite("Streaming contract evaluation", .serialized)
struct StreamingEvaluationTests {
    @Test func streamingParticipantByParticipantGivesTheSameBytesAsLoadingEverything() throws {
        let trial = try SampleTrial()
        let (inputs, materials) = try ContractInputs.load(from: trial.workspace)
        let anchored = try AnchoredInputs(workspace: trial.workspace)
        #expect(anchored.materials == materials)
        for name in ["participant-payments", "dosing-adherence"] {
            let contract = try trial.contract(name)
            #expect(try ContractRunner.evaluate(contract, anchored) == ContractRunner.evaluate(contract, inputs), "\(name)")
        }
        var seen: [String] = []
        try anchored.forEachParticipant { seen.append($0.participant) }
        #expect(seen == inputs.participants.map(\.participant) && seen.count == 59)
    }
}
