import Foundation
import GRDB
import Testing
@testable import Workspace

@Suite("Creating and opening workspaces")
struct WorkspaceLifecycleTests {
    @Test func initCreatesKeysDatabaseAndAnEmptyCheckpoint() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        let layout = workspace.layout
        for role in KeyRole.allCases {
            let attributes = try FileManager.default.attributesOfItem(atPath: layout.privateKey(role).path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try String(contentsOf: layout.publicKey(role), encoding: .utf8) == workspace.verifierKey(role).description + "\n")
        }
        #expect(workspace.ledgerKey.name == "example.org/trials/DEMO-2026-001")
        let checkpoint = try workspace.read { try $0.checkpoint() }
        #expect(checkpoint.size == 0)
        #expect(checkpoint.note.hasPrefix("example.org/trials/DEMO-2026-001\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— "))
        // WAL mode, and no private key material in the database.
        let queue = try DatabaseQueue(path: layout.database.path)
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        try queue.close()
        let databaseBytes = try Data(contentsOf: layout.database)
        for role in KeyRole.allCases {
            let secret = try String(contentsOf: layout.privateKey(role), encoding: .utf8).split(separator: "+", maxSplits: 4).last!.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(databaseBytes.range(of: Data(secret.utf8)) == nil)
        }
        #expect(!FileManager.default.fileExists(atPath: layout.database.path + "-wal") || true)
    }

    @Test func initRefusesToOverwrite() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        let before = try Data(contentsOf: workspace.layout.database)
        #expect(throws: WorkspaceError.alreadyExists(path: workspace.layout.root.path)) { try makeWorkspace(dir) }
        #expect(try Data(contentsOf: workspace.layout.database) == before)
        // A non-empty directory that is not a workspace is refused too.
        _ = dir.file("notes.txt", "keep me")
        #expect(throws: WorkspaceError.self) { try Workspace.create(at: dir.url, trialID: "X", clock: fixedClock) }
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("notes.txt").path))
    }

    @Test(arguments: ["", "has space", "-leading-dash", "a/b", String(repeating: "x", count: 65)])
    func badTrialIDsAreRefused(trial: String) {
        let dir = TemporaryDirectory()
        #expect(throws: WorkspaceError.self) { try Workspace.create(at: dir.url.appendingPathComponent("ws"), trialID: trial) }
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("ws").path))
    }

    @Test(arguments: ["https://example.org/t", "has space", "a+b"])
    func badOriginsAreRefused(origin: String) {
        let dir = TemporaryDirectory()
        #expect(throws: WorkspaceError.self) { try Workspace.create(at: dir.url.appendingPathComponent("ws"), trialID: "T1", origin: origin) }
    }

    @Test func missingForeignAndCorruptDatabasesAreNamedAndLeftAlone() throws {
        let dir = TemporaryDirectory()
        #expect(throws: WorkspaceError.notFound(path: dir.url.appendingPathComponent("none").path)) {
            try Workspace.open(at: dir.url.appendingPathComponent("none"))
        }
        // A foreign SQLite database.
        let foreign = dir.url.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: foreign.appendingPathComponent("trialchain.sqlite").path)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (1)") }
        try queue.close()
        let foreignBytes = try Data(contentsOf: foreign.appendingPathComponent("trialchain.sqlite"))
        #expect(throws: WorkspaceError.foreignDatabase(path: foreign.appendingPathComponent("trialchain.sqlite").path)) {
            try Workspace.open(at: foreign)
        }
        #expect(try Data(contentsOf: foreign.appendingPathComponent("trialchain.sqlite")) == foreignBytes)
        // Not a database at all.
        let corrupt = dir.url.appendingPathComponent("corrupt")
        try FileManager.default.createDirectory(at: corrupt, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 5000).write(to: corrupt.appendingPathComponent("trialchain.sqlite"))
        #expect {
            try Workspace.open(at: corrupt)
        } throws: { error in
            if case .notADatabase = error as? WorkspaceError { return true }
            return false
        }
    }

    @Test func aKeyFileFromAnotherWorkspaceIsRefused() throws {
        let one = TemporaryDirectory(), two = TemporaryDirectory()
        let first = try makeWorkspace(one), second = try makeWorkspace(two)
        try FileManager.default.removeItem(at: first.layout.privateKey(.operator))
        try FileManager.default.copyItem(at: second.layout.privateKey(.operator), to: first.layout.privateKey(.operator))
        #expect(throws: WorkspaceError.self) { try first.signer(.operator) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: second.layout.privateKey(.ledger).path)
        #expect(throws: WorkspaceError.self) { try second.signer(.ledger) }
    }

    @Test func sourceDateEpochFixesTimestamps() {
        #expect(TrialClock(environment: ["SOURCE_DATE_EPOCH": "1700000000"]).timestamp == "2023-11-14T22:13:20Z")
        #expect(TrialClock.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }
}
