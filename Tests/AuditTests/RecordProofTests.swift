import Attestation
@testable import Audit
import Foundation
import Ingest
import MerkleLog
import SignedNote
import Testing
import Workspace

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where the suite's shared trial lives; removed when the test process exits.
private let sharedProvenTrialRoot = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")

/// The sample trial's protocol, consents and one site's measurements, ingested once for the suite.
final class ProvenTrial: @unchecked Sendable {
    static let shared: ProvenTrial = {
        atexit { try? FileManager.default.removeItem(at: sharedProvenTrialRoot) }
        return try! ProvenTrial(root: sharedProvenTrialRoot)
    }()
    let root: URL
    let workspace: Workspace

    /// A trial of its own at `root` (a new temporary folder by default; its caller removes it).
    init(root: URL = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")) throws {
        self.root = root
        workspace = try ProvenTrial.make(at: root)
    }

    /// A workspace at `root` with the sample trial's protocol, consents and site 101's measurements.
    static func make(at root: URL) throws -> Workspace {
        let workspace = try Workspace.create(at: root, trialID: "DEMO-2026-001", origin: "example.org/trials/DEMO-2026-001")
        let ingestor = Ingestor(workspace: workspace)
        func file(_ path: String) throws -> InputFile { try InputFile(url: repository.appendingPathComponent(path), name: path) }
        _ = try ingestor.ingestProtocol(try file("SampleData/protocol.xml"))
        let consents = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("SampleData/consents").path)
            .filter { $0.hasSuffix(".json") }.sorted().map { try file("SampleData/consents/\($0)") }
        _ = try ingestor.ingestConsents(consents)
        _ = try ingestor.ingestMeasurements([try file("SampleData/measurements/site-101.csv")])
        return workspace
    }

    var ledgerKey: NoteVerifierKey { workspace.ledgerKey }
    var operatorKey: NoteVerifierKey { workspace.operatorKey }

    func proof() throws -> RecordProof {
        let prover = RecordProver(workspace: workspace)
        return try prover.prove(try prover.select(participant: "P-0001", visit: "SE.WEEK2", item: "IT.SYSBP"))
    }
}

@Suite("Record proofs", .serialized)
struct RecordProofTests {
    let trial = ProvenTrial.shared

    @Test func aProofVerifiesOfflineAndRoundTripsThroughJSON() throws {
        let proof = try trial.proof()
        let bytes = CanonicalJSON.encode(proof.json)
        let read = try RecordProof(json: try JSONValue.parse(bytes))
        #expect(read == proof)
        let report = try read.verify(ledgerKey: trial.ledgerKey, operatorKey: trial.operatorKey)
        #expect(report.keysPinned && report.stage == "measurements" && report.content["participant"] == "P-0001" && report.content["item"] == "IT.SYSBP")
        #expect(try read.verify().keysPinned == false)
        // Each inclusion proof is plain RFC 6962: the generic verifier checks them.
        try ProofVerifier.verifyInclusion(index: proof.recordIndex, size: proof.recordTreeSize, leafHash: RFC6962.leafHash(proof.canonical).bytes,
                                          proof: proof.recordProof.map(\.bytes), root: proof.recordTreeRoot.bytes)
        // The salt is in the canonical bytes, and it is the participant's.
        let record = try JSONValue.parse(proof.canonical)
        #expect(record["salt"]?.stringValue?.count == 64)
    }

    @Test func consentRecordsAreProvableToo() throws {
        let prover = RecordProver(workspace: trial.workspace)
        #expect(throws: AuditError.self, "P-0009 has a consent, a withdrawal and measurements") { try prover.select(participant: "P-0009") }
        let records = try trial.workspace.records(participant: "P-0009").filter { $0.artifact.hasPrefix("consents/") }
        for record in records {
            _ = try prover.prove(record).verify(ledgerKey: trial.ledgerKey, operatorKey: trial.operatorKey)
        }
        #expect(records.count == 2, "the consent and the withdrawal")
    }

    /// A changed proof fails at the step that no longer holds.
    @Test func eachAlterationFailsAtItsStep() throws {
        let proof = try trial.proof()
        func step(_ change: (inout RecordProof) -> Void, ledger: NoteVerifierKey? = nil, checkpoint: String? = nil) -> String? {
            var altered = proof
            change(&altered)
            do {
                _ = try altered.verify(ledgerKey: ledger ?? trial.ledgerKey, operatorKey: trial.operatorKey, checkpoint: checkpoint)
                return nil
            } catch let failure as ProofFailure {
                return failure.step
            } catch {
                return "other: \(error)"
            }
        }
        #expect(step { $0.canonical = Array(String(decoding: $0.canonical, as: UTF8.self).replacingOccurrences(of: "\"value\":\"", with: "\"value\":\"1").utf8) } == "record tree")
        #expect(step { $0.recordProof[0] = RFC6962.leafHash([1]) } == "record tree")
        #expect(step { $0.recordIndex += 1 } == "record tree")
        #expect(step { $0.canonical = Array(#"{"record":null,"salt":"00"}"#.utf8) } == "record")
        let otherProof = try RecordProver(workspace: trial.workspace).prove(try RecordProver(workspace: trial.workspace).select(participant: "P-0001", visit: "SE.WEEK4", item: "IT.HR"))
        #expect(step { $0.entry = Array(String(decoding: $0.entry, as: UTF8.self).replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"A").utf8) } == "attestation")
        #expect(step { $0.ledgerProof[0] = RFC6962.leafHash([2]) } == "ledger")
        #expect(step { $0.entryIndex = 1 } == "ledger")
        // The record id is bound through the attestation's firstRecord (issue 12).
        #expect(proof.recordID != nil)
        #expect(step { $0.recordID = ($0.recordID ?? 0) + 1 } == "record")
        #expect(step { $0.recordID = nil } == nil, "a proof without an id proves the same record")
        #expect(step { $0.checkpoint = $0.checkpoint.replacingOccurrences(of: "\n\n— ", with: "\n\n— x") } == "checkpoint")
        #expect(step { $0.origin = "example.org/another" } == "checkpoint")
        let other = try NoteSigner.generate(name: "example.org/trials/DEMO-2026-001")
        #expect(step({ _ in }, ledger: other.verifierKey) == "keys", "the proof names another ledger key than the one trusted")
        #expect(step({ $0.ledgerKey = other.verifierKey.description }, ledger: other.verifierKey) == "checkpoint", "a checkpoint signed by an unknown key")
        let older = try trial.workspace.read { try $0.checkpoint(size: 2) }
        #expect(step({ _ in }, checkpoint: older.note) == "checkpoint", "not the checkpoint the auditor holds")
        _ = otherProof
    }

    @Test func everySingleByteChangeOfTheFileIsCaught() throws {
        let bytes = CanonicalJSON.encode(try trial.proof().json)
        var generator = SeededGenerator(seed: 20261122)
        var positions = Set<Int>()
        while positions.count < 400 { positions.insert(Int.random(in: 0..<bytes.count, using: &generator)) }
        for position in positions.sorted() {
            var altered = bytes
            altered[position] ^= UInt8.random(in: 1...255, using: &generator)
            let passed: Bool
            do {
                _ = try RecordProof(json: try JSONValue.parse(altered)).verify(ledgerKey: trial.ledgerKey, operatorKey: trial.operatorKey)
                passed = true
            } catch {
                passed = false
            }
            #expect(!passed, "byte \(position) changed from \(bytes[position]) to \(altered[position]) and the proof still verified: \(String(decoding: bytes[max(0, position - 20)..<min(bytes.count, position + 20)], as: UTF8.self))")
        }
    }

    @Test func theRecordIDInTheFileIsBound() throws {
        var value = try JSONValue.parse(CanonicalJSON.encode(try trial.proof().json))
        guard case var .object(top) = value, case var .object(record)? = top["record"], let id = record["id"]?.integerValue else {
            Issue.record("the proof has no record id")
            return
        }
        record["id"] = .integer(id + 7)
        top["record"] = .object(record)
        value = .object(top)
        #expect(throws: ProofFailure.self) { try RecordProof(json: value).verify(ledgerKey: trial.ledgerKey, operatorKey: trial.operatorKey) }
    }

    /// Issue 14: proofs come from the run's stored record tiles, identical to the tree rebuilt
    /// from every leaf, at the start, across tile edges and on the right edge.
    @Test func recordProofsFromStoredTilesEqualTheRebuiltTree() throws {
        let run = try #require(try trial.workspace.stageRuns().first { $0.kind == "ingest/measurements" })
        var tree = InMemoryTree()
        for leaf in try trial.workspace.recordLeafHashes(of: run) { tree.append(leafHash: leaf) }
        #expect(tree.size == UInt64(run.recordCount) && tree.size > 512 && tree.root() == run.recordRoot)
        for index in [0, 1, 255, 256, 511, 512, tree.size / 2, tree.size - 2, tree.size - 1] as [UInt64] {
            let stored = try trial.workspace.recordInclusionProof(run: run, index: index)
            #expect(stored == (try MerkleProofs.inclusionProof(index: index, size: tree.size, source: tree)), "index \(index)")
        }
        #expect(throws: WorkspaceError.self) { try trial.workspace.recordInclusionProof(run: run, index: tree.size) }
    }

    @Test func notAProofIsAClearError() throws {
        for (text, field) in [(#"{"type":"x"}"#, "type"), (#"{"type":"https://trialchain.dev/record-proof/v1"}"#, "trial"), ("[]", "type")] {
            #expect(throws: AuditError.self, "\(field)") { try RecordProof(json: try JSONValue.parse(Array(text.utf8))) }
        }
        var value = try trial.proof().json
        if case var .object(members) = value {
            members["extra"] = "field"
            value = .object(members)
        }
        #expect(throws: AuditError.malformedProof(field: "extra", reason: "the file disagrees with what its bytes prove (a field was changed, added or re-encoded)")) {
            try RecordProof(json: value)
        }
    }

    @Test func selectionsNameWhatMatched() throws {
        let prover = RecordProver(workspace: trial.workspace)
        #expect(throws: AuditError.self) { try prover.select(participant: "P-0001") }
        #expect(throws: AuditError.self) { try prover.select(participant: "P-4242") }
        #expect(throws: AuditError.self) { try prover.select(id: 99_999_999) }
        #expect(throws: AuditError.self) { try prover.select() }
    }
}

/// SplitMix64, so the mutated positions are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
