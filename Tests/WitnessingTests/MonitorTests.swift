import Attestation
import Foundation
import MerkleLog
import SignedNote
import Testing
@testable import Witnessing
@testable import Workspace

/// Issue 15: `trialchain monitor` follows a published log and catches a server or operator that
/// shows a split view or an entry no allowed signer made.
@Suite("Monitoring a published log")
struct MonitorTests {
    final class Folder: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-monitor-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// What `serve` answers for a path, read straight from the workspace; `tamper` may change it.
    func server(_ workspace: Workspace, checkpoint: (@Sendable () throws -> String)? = nil,
                tamper: @escaping @Sendable (String, [UInt8]) -> [UInt8] = { $1 }) -> LogMonitor.Fetch {
        { path in
            if path == "checkpoint" { return (200, tamper(path, Array(try (checkpoint ?? { try workspace.cosignedCheckpoint() })().utf8))) }
            if path.hasPrefix("trust-policy/") {
                guard let bytes = try workspace.anchoredTrustPolicy(sha256: String(path.dropFirst(13))) else { return (404, []) }
                return (200, tamper(path, bytes))
            }
            guard let tile = TilePath(path), let bytes = try workspace.tileResource(tile) else { return (404, []) }
            return (200, tamper(path, bytes))
        }
    }

    func makeWorkspace(_ folder: Folder, files: Int) throws -> Workspace {
        let workspace = try Workspace.create(at: folder.url.appendingPathComponent("ws"), trialID: "DEMO-2026-001", origin: "example.org/trials/DEMO-2026-001")
        try anchor(workspace, folder, count: files)
        return workspace
    }

    func anchor(_ workspace: Workspace, _ folder: Folder, count: Int) throws {
        for index in 0..<count {
            let file = folder.url.appendingPathComponent("f-\(UUID().uuidString).txt")
            try Data("file \(index) \(UUID())".utf8).write(to: file)
            _ = try workspace.anchor([(url: file, name: "site-101/visit-\(index).csv")])
        }
    }

    /// Anchors a trust policy with one more signer; returns it.
    func trustSomeoneElse(_ workspace: Workspace) throws -> TrustPolicy {
        var policy = try workspace.trustPolicy()
        policy.signers.append(.init(key: try NoteSigner.generate(name: "x").verifierKey, name: "Someone", maySign: ["anchor"]))
        _ = try workspace.setTrustPolicy(policy)
        return policy
    }

    func fresh(_ workspace: Workspace) -> MonitorState { MonitorState(ledgerKey: workspace.ledgerKey, operatorKey: workspace.operatorKey) }

    func failure(_ monitor: LogMonitor, _ state: MonitorState) async -> MonitorError? {
        do { _ = try await monitor.follow(state); return nil } catch let error as MonitorError { return error } catch { return .unreadable("\(error)") }
    }

    @Test func followsGrowthAcrossTilesAndRunsAndSeesTrustPolicyChanges() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(folder, files: 300)       // two entry bundles: one full, one partial
        let monitor = LogMonitor(fetch: server(workspace))
        let (first, run) = try await monitor.follow(fresh(workspace))
        #expect(run.previousSize == 0 && run.size == 300 && run.entries.count == 300)
        let operatorName = try workspace.trustPolicy().signers[0].name
        #expect(run.entries.allSatisfy { $0.kind == "anchor" && $0.signer == operatorName })
        let url = folder.url.appendingPathComponent("monitor.json")
        try first.save(url)
        #expect(try MonitorState.load(url) == first)

        // A reviewer is trusted (an anchored policy), then signs a review: both are followed.
        let reviewer = try NoteSigner.generate(name: "reviewer")
        var policy = try workspace.trustPolicy()
        policy.signers.append(.init(key: reviewer.verifierKey, name: "Dr. Review", maySign: ["signature/reviewed"]))
        _ = try workspace.setTrustPolicy(policy)
        _ = try workspace.sign(entry: 3, meaning: .reviewed, with: reviewer)
        try anchor(workspace, folder, count: 2)
        let (second, grown) = try await monitor.follow(try #require(try MonitorState.load(url)))
        #expect(grown.previousSize == 300 && grown.size == 304)
        #expect(grown.entries.map(\.index) == [300, 301, 302, 303])
        #expect(grown.entries[0].changesTrustPolicy)
        #expect(grown.entries[1].kind == "signature/reviewed" && grown.entries[1].signer == "Dr. Review")
        // Nothing new: nothing to report, the same state.
        let (third, idle) = try await monitor.follow(second)
        #expect(idle.entries.isEmpty && third == second)
    }

    @Test func aSplitViewOrAForeignSignerIsCaught() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(folder, files: 5)
        let (seen, _) = try await LogMonitor(fetch: server(workspace)).follow(fresh(workspace))
        let ledger = try workspace.signer(.ledger)

        // Rollback: the server shows an older, validly signed checkpoint.
        let older = try workspace.read { try $0.checkpoint(size: 3) }.note
        guard case .splitView(let why)? = await failure(LogMonitor(fetch: server(workspace, checkpoint: { older })), seen) else { Issue.record("rollback passed"); return }
        #expect(why.contains("rollback"))
        // Fork: the same size with another root, signed with the ledger key (a stolen key, or a lying operator).
        let fork = try Checkpoint(origin: workspace.origin, size: 5, root: RFC6962.leafHash([1])).signed(by: ledger).serialized
        guard case .splitView(let forkWhy)? = await failure(LogMonitor(fetch: server(workspace, checkpoint: { fork })), seen) else { Issue.record("fork passed"); return }
        #expect(forkWhy.contains("fork"))

        try anchor(workspace, folder, count: 2)
        // A larger checkpoint whose root the entries do not give (it does not extend what was seen).
        let bogus = try Checkpoint(origin: workspace.origin, size: 7, root: RFC6962.leafHash([2])).signed(by: ledger).serialized
        guard case .splitView(let rootWhy)? = await failure(LogMonitor(fetch: server(workspace, checkpoint: { bogus })), seen) else { Issue.record("bogus root passed"); return }
        #expect(rootWhy.contains("do not hash to the signed root"))
        // One entry bundle cut short.
        let cut = server(workspace, tamper: { path, bytes in path.hasPrefix("tile/entries/") ? Array(bytes.dropLast(3)) : bytes })
        guard case .splitView? = await failure(LogMonitor(fetch: cut), seen) else { Issue.record("a cut bundle passed"); return }
        // A checkpoint signed by another key.
        let stranger = try NoteSigner.generate(name: workspace.origin)
        let foreign = try Checkpoint(origin: workspace.origin, size: 7, root: try workspace.read { try $0.checkpoint() }.root).signed(by: stranger).serialized
        guard case .badCheckpoint? = await failure(LogMonitor(fetch: server(workspace, checkpoint: { foreign })), seen) else { Issue.record("foreign checkpoint passed"); return }
        // The honest log still passes.
        #expect(await failure(LogMonitor(fetch: server(workspace)), seen) == nil)

        // An entry signed by a key the trust policy does not name.
        let intruder = try NoteSigner.generate(name: "intruder")
        let statement = InTotoStatement(subjects: [.init(name: "ledger entry 2", sha256: String(repeating: "0", count: 64))],
                                        predicateType: Workspace.signaturePredicateType,
                                        predicate: ["signature": ["keyid": .string(intruder.verifierKey.handle), "meaning": "approved", "name": "Dr. Nobody",
                                                                  "signedAt": "2026-12-01T00:00:00Z"], "trial": "DEMO-2026-001"])
        _ = try workspace.appendEntries([try DSSEEnvelope(signing: statement.canonicalBytes, with: intruder).canonicalBytes])
        guard case .entryRejected(let rejected)? = await failure(LogMonitor(fetch: server(workspace)), seen) else { Issue.record("intruder passed"); return }
        #expect(rejected.contains("entry 7") && rejected.contains("unauthorised key"), "\(rejected)")
    }

    @Test func aStaticallyPublishedLogIsFollowedTheSameWay() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(folder, files: 3)
        let policy = try trustSomeoneElse(workspace)
        try anchor(workspace, folder, count: 1)
        let www = folder.url.appendingPathComponent("www")
        _ = try workspace.publish(to: www, entries: true)
        let files: LogMonitor.Fetch = { path in
            guard let data = FileManager.default.contents(atPath: www.appendingPathComponent(path).path) else { return (404, []) }
            return (200, Array(data))
        }
        let (state, run) = try await LogMonitor(fetch: files).follow(fresh(workspace))
        #expect(run.size == 5 && run.entries.filter(\.changesTrustPolicy).count == 1 && state.policy == policy.canonicalBytes)
    }

    @Test func aTrustPolicyTheServerAltersIsCaught() async throws {
        let folder = Folder()
        let workspace = try makeWorkspace(folder, files: 2)
        _ = try trustSomeoneElse(workspace)
        let altered = server(workspace, tamper: { path, bytes in path.hasPrefix("trust-policy/") ? bytes + [0x20] : bytes })
        guard case .entryRejected(let why)? = await failure(LogMonitor(fetch: altered), fresh(workspace)) else { Issue.record("altered policy passed"); return }
        #expect(why.contains("the server sent other bytes"))
    }
}
