import Foundation
import Hummingbird
import HummingbirdTesting
import LedgerServer
import MerkleLog
import SignedNote
import Synchronization
import Testing
@testable import Witnessing
@testable import Workspace

/// Issue 15: witnesses over HTTP on loopback, with the log sending each new checkpoint.
/// The witnesses run in this process, on the same threads as the tests running beside them, so
/// the client waits up to two minutes (a busy CI machine, not a slow witness).
@Suite("Witnesses over HTTP")
struct WitnessNetworkTests {
    final class Folder: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-witness-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// A running witness on a port of loopback the system chose.
    struct Running {
        let url: String
        let key: NoteVerifierKey
        let service: WitnessService
        let task: Task<Void, Error>
        func stop() async { task.cancel(); _ = await task.result }
    }

    func startWitness(_ name: String, follows logKey: NoteVerifierKey, in folder: Folder) async throws -> Running {
        let signer = try NoteSigner.generate(name: name, type: .cosignatureV1)
        let service = try WitnessService(witness: signer, logs: [logKey], stateURL: folder.url.appendingPathComponent("\(name).json"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            try await WitnessServer(service: service, accessLog: { _ in }).run(hostname: "127.0.0.1", port: 0) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw WitnessError.unusable("the witness did not start") }
        return Running(url: "http://127.0.0.1:\(port)", key: signer.verifierKey, service: service, task: task)
    }

    func makeWorkspace(in folder: Folder) throws -> Workspace {
        let workspace = try Workspace.create(at: folder.url.appendingPathComponent("ws"), trialID: "DEMO-2026-001",
                                             origin: "example.org/trials/DEMO-2026-001")
        try anchor(workspace, folder, count: 4)
        return workspace
    }

    func anchor(_ workspace: Workspace, _ folder: Folder, count: Int) throws {
        for index in 0..<count {
            let file = folder.url.appendingPathComponent("f-\(UUID().uuidString).txt")
            try Data("file \(index) \(UUID())".utf8).write(to: file)
            _ = try workspace.anchor([(url: file, name: "f\(index).txt")])
        }
    }

    func latest(_ workspace: Workspace) throws -> StoredCheckpoint { try workspace.read { try $0.checkpoint() } }

    @Test func threeWitnessesOneDownOneForkedAndTheQuorum() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(in: folder)
        let a = try await startWitness("witness-a.example", follows: workspace.ledgerKey, in: folder)
        let c = try await startWitness("witness-c.example", follows: workspace.ledgerKey, in: folder)
        defer { Task { await a.stop(); await c.stop() } }
        // C was shown another history first: a checkpoint of size 3 with another root, signed by the ledger key.
        let forged = try Checkpoint(origin: workspace.origin, size: 3, root: RFC6962.leafHash([0x66])).signed(by: workspace.signer(.ledger)).serialized
        let shown = await c.service.addCheckpoint(body: AddCheckpointRequest(oldSize: 0, proof: [], checkpoint: forged).body)
        #expect(shown.status == 200)
        // B is down: nothing listens on its port.
        let b = try NoteSigner.generate(name: "witness-b.example", type: .cosignatureV1).verifierKey
        try workspace.addWitness(url: a.url, key: a.key)
        try workspace.addWitness(url: "http://127.0.0.1:1", key: b)
        try workspace.addWitness(url: c.url + "/", key: c.key)

        let outcomes = try await CosignatureCollector(workspace: workspace, client: WitnessClient(timeout: 120)).collect()
        let size = try latest(workspace).size
        #expect(outcomes.map(\.witness.key.name) == ["witness-a.example", "witness-b.example", "witness-c.example"])
        #expect(outcomes[0].outcome == .cosigned(size: size))
        guard case .unreachable = outcomes[1].outcome else { Issue.record("B: \(outcomes[1].outcome)"); return }
        guard case let .refusedFork(why) = outcomes[2].outcome else { Issue.record("C: \(outcomes[2].outcome)"); return }
        #expect(why.contains("fork"))
        #expect(await c.service.held(workspace.origin)?.size == 3, "the refusing witness keeps what it held")
        #expect(await a.service.held(workspace.origin)?.size == size)

        // The quorum: 2 of 3 is not met, any 1 of 3 is.
        let cosigned = try workspace.cosignedCheckpoint()
        let twoOfThree = try WitnessPolicy(text: """
            log \(workspace.ledgerKey)
            witness A \(a.key)
            witness B \(b)
            witness C \(c.key)
            group trial-witnesses 2 A B C
            quorum trial-witnesses
            """, file: "policy.txt")
        #expect(throws: WitnessPolicyError.quorumNotMet(quorum: "trial-witnesses (2 of A, B, C)", cosigned: ["A"], missing: ["B", "C"])) {
            try twoOfThree.check(cosigned, logKey: workspace.ledgerKey)
        }
        let anyOne = try WitnessPolicy(text: "witness A \(a.key)\nwitness B \(b)\ngroup g any A B\nquorum g\n", file: "any.txt")
        #expect(try anyOne.check(cosigned, logKey: workspace.ledgerKey) == ["A"])
        let otherLog = try WitnessPolicy(text: "log \(try NoteSigner.generate(name: "x").verifierKey)\nquorum none\n", file: "x.txt")
        #expect(throws: WitnessPolicyError.otherLog(workspace.origin)) { try otherLog.check(cosigned, logKey: workspace.ledgerKey) }

        // The log grows: A cosigns again from the size it holds (a consistency proof), and the rest stays refused.
        try anchor(workspace, folder, count: 2)
        let again = try await CosignatureCollector(workspace: workspace, client: WitnessClient(timeout: 120)).collect()
        #expect(again[0].outcome == .cosigned(size: size + 2))
        #expect(try workspace.lastCosignedSize(by: a.key) == size + 2)
        // What was kept passes verify.
        _ = try workspace.verifyLedger()
    }

    @Test func aWitnessAheadOfTheKeptCosignaturesAnswers409AndTheLogFollows() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(in: folder)
        let d = try await startWitness("witness-d.example", follows: workspace.ledgerKey, in: folder)
        defer { Task { await d.stop() } }
        // D cosigned size 4 through someone else (a monitor relaying checkpoints): this workspace kept nothing.
        let four = try latest(workspace)
        #expect(await d.service.addCheckpoint(body: AddCheckpointRequest(oldSize: 0, proof: [], checkpoint: four.note).body).status == 200)
        try anchor(workspace, folder, count: 3)
        try workspace.addWitness(url: d.url, key: d.key)
        let outcomes = try await CosignatureCollector(workspace: workspace, client: WitnessClient(timeout: 120)).collect()
        let size = try latest(workspace).size
        #expect(outcomes.map(\.outcome) == [.cosigned(size: size)])
        #expect(await d.service.held(workspace.origin)?.size == size)
        // Nothing new: nothing is sent.
        #expect(try await CosignatureCollector(workspace: workspace, client: WitnessClient(timeout: 120)).collect().map(\.outcome) == [.alreadyCosigned(size: size)])
    }

    @Test func theWitnessAPIAnswersWithTheSpecsCodesAndPersistsBeforeAnswering() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(in: folder)
        let signer = try NoteSigner.generate(name: "witness-e.example", type: .cosignatureV1)
        let stateFolder = folder.url.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: stateFolder, withIntermediateDirectories: true)
        let stateURL = stateFolder.appendingPathComponent("e.json")
        let service = try WitnessService(witness: signer, logs: [workspace.ledgerKey], stateURL: stateURL)
        #expect(throws: WitnessError.self, "one state file, one witness") {
            _ = try WitnessService(witness: signer, logs: [workspace.ledgerKey], stateURL: stateURL)
        }
        let log = Lines()
        let app = Application(router: WitnessServer(service: service, accessLog: log.append).router())
        let checkpoint = try latest(workspace)
        try await app.test(.router) { client in
            func post(_ body: [UInt8]) async throws -> (Int, String?, String) {
                try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(bytes: body)) { response in
                    (Int(response.status.code), response.headers[.contentType], String(buffer: response.body))
                }
            }
            #expect(try await post(Array("garbage".utf8)).0 == 400)
            let stale = try await post(AddCheckpointRequest(oldSize: 2, proof: [], checkpoint: checkpoint.note).body)
            #expect(stale.0 == 409 && stale.1 == "text/x.tlog.size" && stale.2 == "0\n")
            // The state folder disappears: the witness cannot persist, so it does not cosign (500), and holds nothing.
            try FileManager.default.removeItem(at: stateFolder)
            #expect(try await post(AddCheckpointRequest(oldSize: 0, proof: [], checkpoint: checkpoint.note).body).0 == 500)
            #expect(await service.held(workspace.origin) == nil)
            try FileManager.default.createDirectory(at: stateFolder, withIntermediateDirectories: true)
            let ok = try await post(AddCheckpointRequest(oldSize: 0, proof: [], checkpoint: checkpoint.note).body)
            #expect(ok.0 == 200 && ok.2.hasPrefix("— witness-e.example "))
            // On disk before the answer left.
            #expect(try WitnessState.load(stateURL).logs[workspace.origin]?.size == checkpoint.size)
            let tooLarge = try await post([UInt8](repeating: 0x41, count: AddCheckpointRequest.maximumBodyBytes + 1))
            #expect(tooLarge.0 == 413)
            #expect(try await post(AddCheckpointRequest(oldSize: checkpoint.size, proof: [], checkpoint: checkpoint.note).body).0 == 200,
                    "the server keeps serving after bad requests")
        }
        #expect(log.all.count == 6 && log.all.allSatisfy { $0.contains("POST /add-checkpoint") })
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }
}
