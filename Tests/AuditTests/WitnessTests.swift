@testable import Audit
@testable import Witnessing
import Foundation
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

@Suite("Witness cosignatures")
struct WitnessTests {
    let signed = try! SignedWorkspace()
    let witness = try! NoteSigner.generate(name: "witness.example.org", type: .cosignatureV1)

    var workspace: Workspace { signed.workspace }

    func note(_ size: UInt64? = nil) throws -> String { try workspace.read { try $0.checkpoint(size: size) }.note }

    func proof(_ from: UInt64, _ to: UInt64) throws -> [TreeHash] { try workspace.read { try $0.consistencyProof(from: from, to: to) }.proof }

    func cosign(_ text: String, _ state: WitnessState) throws -> (NoteSignature, WitnessState) {
        try Witness.cosign(text, logKey: workspace.ledgerKey, witness: witness, state: state, timestamp: 1_795_000_000, consistencyProof: proof)
    }

    func anchorAnother() throws {
        let file = signed.root.appendingPathComponent("b-\(UUID().uuidString).txt")
        try Data(UUID().uuidString.utf8).write(to: file)
        _ = try workspace.anchor([(url: file, name: "b.txt")])
    }

    @Test func aWitnessCosignsConsistentGrowthAndRemembersIt() throws {
        let first = try note()
        let (line, state) = try cosign(first, WitnessState())
        let body = try SignedNote(parsing: first).text
        try Cosignature(line).verify(checkpointText: body, key: witness.verifierKey)
        #expect(state.logs[workspace.origin]?.size == 1)
        try anchorAnother()
        try anchorAnother()
        let (_, grown) = try cosign(try note(), state)
        #expect(grown.logs[workspace.origin]?.size == 3)
        // The state file round-trips.
        let url = signed.root.appendingPathComponent("witness.json")
        try grown.save(url)
        #expect(try WitnessState.load(url) == grown)
    }

    @Test func rollbackForkAndInconsistencyAreRefused() throws {
        try anchorAnother()
        let (_, state) = try cosign(try note(), WitnessState())                 // witnessed size 2
        #expect(throws: WitnessError.rollback(origin: workspace.origin, witnessed: 2, presented: 1)) { try cosign(try note(1), state) }
        let ledger = try workspace.signer(.ledger)
        let forged = try Checkpoint(origin: workspace.origin, size: 2, root: RFC6962.leafHash([9])).signed(by: ledger).serialized
        #expect(throws: WitnessError.self) { try cosign(forged, state) }
        do { _ = try cosign(forged, state) } catch let error as WitnessError {
            guard case .fork = error else { Issue.record("\(error)"); return }
        }
        try anchorAnother()
        let unrelated = try Checkpoint(origin: workspace.origin, size: 3, root: RFC6962.leafHash([8])).signed(by: ledger).serialized
        do { _ = try cosign(unrelated, state) } catch let error as WitnessError {
            guard case .inconsistent = error else { Issue.record("\(error)"); return }
        }
        let stranger = try NoteSigner.generate(name: workspace.origin)
        let foreign = try Checkpoint(origin: workspace.origin, size: 3, root: RFC6962.leafHash([8])).signed(by: stranger).serialized
        do { _ = try cosign(foreign, state) } catch let error as WitnessError {
            guard case .badCheckpoint = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func verifyRequiresTheNamedWitnesses() throws {
        #expect(throws: IntegrityFailure.self) { try workspace.checkWitnesses([witness.verifierKey]) }
        let (line, _) = try cosign(try note(), WitnessState())
        try workspace.addCosignature(line, size: 1, witness: witness.verifierKey)
        #expect(try workspace.checkWitnesses([witness.verifierKey]) == 1)
        let other = try NoteSigner.generate(name: "other.witness", type: .cosignatureV1)
        #expect(throws: IntegrityFailure.self) { try workspace.checkWitnesses([witness.verifierKey, other.verifierKey]) }
        #expect(throws: WorkspaceError.self, "a cosignature of another checkpoint is not kept") {
            try workspace.addCosignature(line, size: 0, witness: witness.verifierKey)
        }
        try anchorAnother()
        do {
            _ = try workspace.checkWitnesses([witness.verifierKey])
            Issue.record("a stale cosignature passed")
        } catch let IntegrityFailure.witness(_, reason) {
            #expect(reason.contains("has not cosigned the latest checkpoint (size 2); it last cosigned size 1"))
        }
    }

    @Test func aMalformedStateFileIsAClearError() throws {
        let url = signed.root.appendingPathComponent("bad-state.json")
        for text in ["{}", "[1]", #"{"version":1,"logs":{"x":{"size":-1,"root":"00"}}}"#] {
            try Data(text.utf8).write(to: url)
            #expect(throws: WitnessError.self, "\(text)") { try WitnessState.load(url) }
        }
        #expect(try WitnessState.load(signed.root.appendingPathComponent("none.json")) == WitnessState())
    }
}
