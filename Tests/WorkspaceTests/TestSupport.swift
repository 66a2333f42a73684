import Foundation
import GRDB
@testable import Workspace

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String, _ contents: String) -> URL {
        let file = url.appendingPathComponent(name)
        try! Data(contents.utf8).write(to: file)
        return file
    }
}

let fixedClock = TrialClock(fixed: Date(timeIntervalSince1970: 1_795_000_000))

func makeWorkspace(_ directory: TemporaryDirectory, trial: String = "DEMO-2026-001") throws -> Workspace {
    try Workspace.create(at: directory.url.appendingPathComponent("ws"), trialID: trial,
                         origin: "example.org/trials/\(trial)", clock: fixedClock)
}

/// Opens the workspace database behind TrialChain's back, as an attacker or an accident would,
/// with the append-only triggers dropped and put back afterwards (a careful forger).
func tamper(_ workspace: Workspace, _ sql: String, arguments: StatementArguments = []) throws {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = false
    let queue = try DatabaseQueue(path: workspace.layout.database.path, configuration: configuration)
    try queue.write { db in
        try Schema.withTriggersDropped(db) { try db.execute(sql: sql, arguments: arguments) }
    }
    try queue.close()
}

/// Appends raw entries as one batch (bypassing attestations), for tree-shape tests.
func appendRaw(_ workspace: Workspace, _ entries: [[UInt8]]) throws -> AppendResult {
    let signer = try workspace.signer(.ledger)
    return try workspace.write { db in
        try LedgerStore(db).append(entries, signer: signer, origin: workspace.origin, signedAt: fixedClock.timestamp)
    }
}

func verifyTree(_ workspace: Workspace, external: String? = nil) throws -> LedgerReport {
    try workspace.pool.read { db in
        try LedgerVerifier(db, origin: workspace.origin, ledgerKey: workspace.ledgerKey).verify(external: external)
    }
}
