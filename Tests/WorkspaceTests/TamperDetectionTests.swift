import Foundation
import GRDB
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

@Suite("verify names what was altered")
struct TamperDetectionTests {
    /// A workspace with two anchored batches (3 + 300 files' worth of raw entries).
    func populated(_ dir: TemporaryDirectory) throws -> Workspace {
        let workspace = try makeWorkspace(dir)
        _ = try workspace.anchor([(dir.file("a.txt", "alpha"), "a.txt"), (dir.file("b.txt", "beta"), "b.txt"), (dir.file("c.txt", "gamma"), "c.txt")])
        _ = try workspace.anchor((0..<300).map { (dir.file("m\($0).csv", "row,\($0)\n"), "m\($0).csv") })
        return workspace
    }

    func failure(_ workspace: Workspace, external: String? = nil) -> IntegrityFailure? {
        do {
            _ = try workspace.verifyLedger(external: external)
            return nil
        } catch {
            return error as? IntegrityFailure
        }
    }

    @Test func anUntouchedLedgerVerifies() throws {
        let dir = TemporaryDirectory()
        let workspace = try populated(dir)
        let report = try workspace.verifyLedger()
        #expect(report.entries == 303 && report.attestations == 303 && report.checkpoints == 3)
        let checkpoint = try workspace.read { try $0.checkpoint(size: 3) }
        #expect(try workspace.verifyLedger(external: checkpoint.note).externalCheckpointSize == 3)
    }

    @Test func anAlteredEntryIsNamed() throws {
        let dir = TemporaryDirectory()
        let workspace = try populated(dir)
        try tamper(workspace, "UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'e', 'f') AS BLOB) WHERE idx = 1")
        #expect(failure(workspace) == .entryAltered(index: 1))
    }

    @Test func anEntryRewrittenWithItsLeafHashIsCaughtByTheTiles() throws {
        let dir = TemporaryDirectory()
        let workspace = try populated(dir)
        let forged = Array("forged".utf8)
        try tamper(workspace, "UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = 200",
                   arguments: [Data(forged), Data(RFC6962.leafHash(forged).bytes)])
        // With attestation checks, the forged entry is named because it is not a signed envelope…
        guard case .attestationInvalid(index: 200, _)? = failure(workspace) else {
            Issue.record("expected entry 200's attestation to fail, got \(String(describing: failure(workspace)))")
            return
        }
        // …and without them, the stored tile still names it.
        #expect(throws: IntegrityFailure.tileMismatch(path: "tile/0/000", firstEntry: 200)) { try verifyTree(workspace) }
    }

    @Test func aRewrittenTreeIsCaughtByTheCheckpoints() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try appendRaw(workspace, [[1], [2], [3]])
        _ = try appendRaw(workspace, [[4]])
        let forged: [UInt8] = [9]
        // Entry, leaf hash and the right-edge tiles all rewritten consistently: only signed roots catch it.
        var tile = Tile(level: 0, index: 0, base: [[1], [2], forged].map { RFC6962.leafHash($0) })
        try tamper(workspace, "UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = 2",
                   arguments: [Data(forged), Data(RFC6962.leafHash(forged).bytes)])
        try tamper(workspace, "UPDATE ledger_tiles SET hashes = ? WHERE level = 0 AND idx = 0 AND width = 3", arguments: [Data(tile.encoded)])
        tile = Tile(level: 0, index: 0, base: [[1], [2], forged, [4]].map { RFC6962.leafHash($0) })
        try tamper(workspace, "UPDATE ledger_tiles SET hashes = ? WHERE level = 0 AND idx = 0 AND width = 4", arguments: [Data(tile.encoded)])
        #expect {
            try verifyTree(workspace)
        } throws: { error in
            if case .checkpointRoot(size: 3, _, _) = error as? IntegrityFailure { return true }
            return false
        }
    }

    @Test func deletedEntriesAreNamed() throws {
        let dir = TemporaryDirectory()
        let workspace = try populated(dir)
        try tamper(workspace, "DELETE FROM ledger_entries WHERE idx = 7")
        #expect(failure(workspace) == .entryMissing(expected: 7, found: 8))
        try tamper(workspace, "DELETE FROM ledger_entries WHERE idx >= 7")
        #expect(failure(workspace) == .checkpointPastLedger(size: 303, ledgerSize: 7))
    }

    @Test func anAlteredCheckpointIsNamed() throws {
        let dir = TemporaryDirectory()
        let workspace = try populated(dir)
        let note = try workspace.read { try $0.checkpoint(size: 3) }.note
        let rootLine = note.split(separator: "\n")[2]
        let forgedRoot = Data(repeating: 7, count: 32).base64EncodedString()
        try tamper(workspace, "UPDATE ledger_checkpoints SET note = ? WHERE size = 3",
                   arguments: [note.replacingOccurrences(of: String(rootLine), with: forgedRoot)])
        guard case .checkpointSignature(size: 3, _)? = failure(workspace) else {
            Issue.record("expected the size-3 checkpoint's signature to fail, got \(String(describing: failure(workspace)))")
            return
        }
    }

    @Test func aCheckpointFromAnotherHistoryIsCaught() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try workspace.anchor([(dir.file("a.txt", "alpha"), "a.txt")])
        // A copy of the workspace (same keys) that went on differently: a rewritten history.
        let fork = dir.url.appendingPathComponent("fork")
        try FileManager.default.copyItem(at: workspace.layout.root, to: fork)
        let forked = try Workspace.open(at: fork, clock: fixedClock)
        _ = try forked.anchor([(dir.file("evil.txt", "other"), "evil.txt")])
        _ = try workspace.anchor([(dir.file("b.txt", "beta"), "b.txt")])
        let forkedCheckpoint = try forked.read { try $0.checkpoint() }.note
        guard case .externalCheckpoint(let reason)? = failure(workspace, external: forkedCheckpoint) else {
            Issue.record("expected the forked checkpoint to be refused")
            return
        }
        #expect(reason.contains("history was rewritten"))

        // A checkpoint past the ledger (the ledger was replaced by an older copy).
        _ = try workspace.anchor([(dir.file("c.txt", "gamma"), "c.txt")])
        let newer = try workspace.read { try $0.checkpoint() }.note
        guard case .externalCheckpoint(let pastReason)? = failure(forked, external: newer) else {
            Issue.record("expected a checkpoint past the ledger to be refused")
            return
        }
        #expect(pastReason.contains("3") || pastReason.contains("history"))

        // Another log's checkpoint, and garbage.
        let other = TemporaryDirectory()
        let stranger = try makeWorkspace(other, trial: "OTHER-1")
        let strangerNote = try stranger.read { try $0.checkpoint() }.note
        #expect(failure(workspace, external: strangerNote).map { "\($0)" }?.contains("origin") == true)
        #expect(failure(workspace, external: String(newer.prefix(20))) != nil)
    }

    @Test func aFailedAnchorLeavesTheWorkspaceAsItWas() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try workspace.anchor([(dir.file("a.txt", "alpha"), "a.txt")])
        let objectsBefore = try FileManager.default.subpathsOfDirectory(atPath: workspace.objects.root.path).sorted()
        #expect(throws: WorkspaceError.self) {
            try workspace.anchor([(dir.file("new.txt", "brand new bytes"), "new.txt"), (dir.url.appendingPathComponent("missing.txt"), "missing.txt")])
        }
        #expect(try workspace.read { try $0.size() } == 1)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: workspace.objects.root.path).sorted() == objectsBefore)
        #expect(try workspace.verifyLedger().entries == 1)
    }
}
