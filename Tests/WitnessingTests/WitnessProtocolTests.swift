import Foundation
import MerkleLog
import SignedNote
import Testing
@testable import Witnessing

/// c2sp.org/tlog-witness: the request format and the witness's decisions, checked with the
/// published-key vectors (the `Log` and `Wit1` test keys, the classic RFC 6962 tree).
@Suite("tlog-witness add-checkpoint")
struct WitnessProtocolTests {
    struct Vectors: Decodable {
        struct Vector: Decodable { let body: String; let signed_note: String }
        struct Request: Decodable { let body: String }
        let log_vkey: String, log_skey: String, witness_cosig_vkey: String, witness_skey: String
        let vectors: [Vector]
        let witness_add_checkpoint_request: Request
    }

    let file: Vectors = {
        let url = Bundle.module.url(forResource: "Vectors/derived_checkpoints", withExtension: "json")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    var logKey: NoteVerifierKey { try! NoteVerifierKey(file.log_vkey) }
    var logSigner: NoteSigner { try! NoteSigner(privateKeyText: file.log_skey) }
    var witness: NoteSigner { try! NoteSigner(privateKeyText: file.witness_skey, type: .cosignatureV1) }
    /// A witness that cosigned the size-6 checkpoint of `Log`.
    var heldAt6: WitnessState {
        let six = try! Checkpoint(parsing: file.vectors[0].body)
        return WitnessState(logs: ["Log": (six.size, six.root)])
    }

    func decide(_ body: String, state: WitnessState) throws(AddCheckpointRefusal) -> (NoteSignature, WitnessState) {
        try Witness.addCheckpoint(try AddCheckpointRequest(parsing: Array(body.utf8)), logs: ["Log": [logKey]], witness: witness,
                                  state: state, timestamp: 1_795_000_000)
    }

    func refusal(_ body: String, state: WitnessState) -> AddCheckpointRefusal? {
        do { _ = try decide(body, state: state); return nil } catch { return error }
    }

    /// The published request body with its `old` line and proof replaced.
    func body(old: UInt64, proof: [String]? = nil, checkpoint: String? = nil) -> String {
        let published = file.witness_add_checkpoint_request.body
        let parts = published.components(separatedBy: "\n\n")
        let lines = proof ?? Array(parts[0].split(separator: "\n").dropFirst().map(String.init))
        return (["old \(old)"] + lines).joined(separator: "\n") + "\n\n" + (checkpoint ?? String(published.dropFirst(parts[0].count + 2)))
    }

    @Test func thePublishedRequestIsCosignedAndTheStateMovesTo8() throws {
        let (line, next) = try decide(file.witness_add_checkpoint_request.body, state: heldAt6)
        let checkpoint = try SignedNote(parsing: String(file.witness_add_checkpoint_request.body.split(separator: "\n\n", maxSplits: 1)[1]))
        try Cosignature(line).verify(checkpointText: checkpoint.text, key: try NoteVerifierKey(file.witness_cosig_vkey))
        #expect(next.logs["Log"]?.size == 8)
        #expect(next.logs["Log"]?.root == (try Checkpoint(parsing: checkpoint.text)).root)
        // Parsing and writing the body round-trips byte for byte.
        let request = try AddCheckpointRequest(parsing: Array(file.witness_add_checkpoint_request.body.utf8))
        #expect(request.oldSize == 6 && request.proof.count == 3)
        #expect(request.body == Array(file.witness_add_checkpoint_request.body.utf8))
    }

    @Test func eachRefusalHasTheSpecsStatusCode() throws {
        // 409: the witness holds another size; the answer names it.
        #expect(refusal(body(old: 5), state: heldAt6) == .conflict(stored: 6))
        #expect(refusal(body(old: 6), state: WitnessState()) == .conflict(stored: 0))
        #expect(AddCheckpointRefusal.conflict(stored: 6).status == 409)
        // 404: an origin the witness does not follow.
        let other = try NoteSigner.generate(name: "other.example/log")
        let foreign = try Checkpoint(origin: "other.example/log", size: 8, root: RFC6962.emptyRoot).signed(by: other).serialized
        #expect(refusal(body(old: 6, checkpoint: foreign), state: heldAt6)?.status == 404)
        // 403: the right origin, signed by another key.
        let impostor = try NoteSigner.generate(name: "Log")
        let eight = try Checkpoint(parsing: file.vectors[2].body)
        let unsigned = try eight.signed(by: impostor).serialized
        #expect(refusal(body(old: 6, checkpoint: unsigned), state: heldAt6)?.status == 403)
        // 400: old above the checkpoint's size.
        #expect(refusal(body(old: 9, proof: []), state: heldAt6) == .oldSizeAboveCheckpoint(old: 9, size: 8))
        // 422: a proof with one hash changed.
        var lines = file.witness_add_checkpoint_request.body.components(separatedBy: "\n\n")[0].split(separator: "\n").dropFirst().map(String.init)
        lines[1] = Data(RFC6962.leafHash([1]).bytes).base64EncodedString()
        #expect(refusal(body(old: 6, proof: lines), state: heldAt6)?.status == 422)
        // 422: a proof from 0 that is not empty.
        let fresh = try Checkpoint(origin: "Log", size: 8, root: eight.root).signed(by: logSigner).serialized
        #expect(refusal(body(old: 0, proof: lines, checkpoint: fresh), state: WitnessState())?.status == 422)
        #expect(throws: Never.self) { try decide(body(old: 0, proof: [], checkpoint: fresh), state: WitnessState()) }
        // 422: the size the witness holds with another root (a fork), and a wrong empty-tree root.
        let forked = try Checkpoint(origin: "Log", size: 6, root: RFC6962.leafHash([7])).signed(by: logSigner).serialized
        guard case .fork = refusal(body(old: 6, proof: [], checkpoint: forked), state: heldAt6) else { Issue.record("fork not refused"); return }
        let badEmpty = try Checkpoint(origin: "Log", size: 0, root: RFC6962.leafHash([])).signed(by: logSigner).serialized
        #expect(refusal(body(old: 0, proof: [], checkpoint: badEmpty), state: WitnessState())?.status == 422)
        let goodEmpty = try Checkpoint(origin: "Log", size: 0, root: RFC6962.emptyRoot).signed(by: logSigner).serialized
        #expect(throws: Never.self) { try decide(body(old: 0, proof: [], checkpoint: goodEmpty), state: WitnessState()) }
    }

    @Test func malformedBodiesAre400() {
        let checkpoint = String(file.witness_add_checkpoint_request.body.split(separator: "\n\n", maxSplits: 1)[1])
        let hash = Data(RFC6962.emptyRoot.bytes).base64EncodedString()
        let cases: [(String, [UInt8])] = [
            ("no empty line", Array("old 6\n".utf8)),
            ("leading zero", Array("old 06\n\n\(checkpoint)".utf8)),
            ("negative", Array("old -1\n\n\(checkpoint)".utf8)),
            ("not old", Array("new 6\n\n\(checkpoint)".utf8)),
            ("64 proof lines", Array(("old 6\n" + String(repeating: hash + "\n", count: 64) + "\n" + checkpoint).utf8)),
            ("31-byte hash", Array("old 6\n\(Data(repeating: 1, count: 31).base64EncodedString())\n\n\(checkpoint)".utf8)),
            ("not base64", Array("old 6\n!!!!\n\n\(checkpoint)".utf8)),
            ("not UTF-8", [0x6f, 0x6c, 0x64, 0x20, 0x36, 0x0a, 0xff, 0x0a, 0x0a]),
            ("too large", Array("old 6\n\n".utf8) + [UInt8](repeating: 0x41, count: AddCheckpointRequest.maximumBodyBytes)),
            ("not a checkpoint", Array("old 6\n\nhello\n".utf8)),
        ]
        for (name, bytes) in cases {
            do {
                let request = try AddCheckpointRequest(parsing: bytes)
                _ = try Witness.addCheckpoint(request, logs: ["Log": [logKey]], witness: witness, state: heldAt6, timestamp: 1)
                Issue.record("\(name): accepted")
            } catch {
                #expect(error.status == 400, "\(name): \(error)")
            }
        }
    }

    @Test func theStateFileIsReplacedWholeAndLockedForOneWitness() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-wstate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("state.json")
        try heldAt6.save(url)
        #expect(try WitnessState.load(url) == heldAt6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.json"], "no temporary file left behind")
        let lock = try WitnessState.lock(url)
        #expect(throws: WitnessError.self, "a second witness on the same state is refused") { _ = try WitnessState.lock(url) }
        withExtendedLifetime(lock) {}
    }
}
