import CSQLiteTuning
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// A trial's workspace: one SQLite database (WAL), a content-addressed object store and keys.
///
/// Create one with `create(at:trialID:origin:)`, open it with `open(at:)`. Private keys stay
/// in files (mode 0600) and are read only when something must be signed, so a workspace copied
/// without them can still be read and verified.
public final class Workspace: Sendable {
    /// Where the workspace lives.
    public let layout: WorkspaceLayout
    /// The trial identifier, e.g. `DEMO-2026-001`.
    public let trialID: String
    /// The ledger's origin line, e.g. `example.org/trials/DEMO-2026-001`.
    public let origin: String
    /// Verifies checkpoints.
    public let ledgerKey: NoteVerifierKey
    /// Verifies stage attestations.
    public let operatorKey: NoteVerifierKey
    /// Time stamps for records.
    public let clock: TrialClock
    /// Source files and documents, by SHA-256.
    public let objects: ObjectStore
    let pool: DatabasePool

    private init(layout: WorkspaceLayout, pool: DatabasePool, clock: TrialClock) throws {
        self.layout = layout
        self.pool = pool
        self.clock = clock
        self.objects = ObjectStore(root: layout.objects)
        let meta = try Workspace.translate(layout) {
            try pool.read { db in
                try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM workspace_meta").map {
                    ($0["key"] as String, $0["value"] as String)
                })
            }
        }
        guard let trial = meta["trial_id"], let origin = meta["origin"], let ledger = meta["ledger_key"], let op = meta["operator_key"] else {
            throw WorkspaceError.ledgerInconsistent("workspace metadata is incomplete")
        }
        self.trialID = trial
        self.origin = origin
        do {
            self.ledgerKey = try NoteVerifierKey(ledger)
            self.operatorKey = try NoteVerifierKey(op)
        } catch {
            throw WorkspaceError.ledgerInconsistent("stored public keys are malformed: \(error)")
        }
    }

    // MARK: Creating and opening

    /// The rule for trial identifiers.
    public static let trialIDRule = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"

    /// Creates a new workspace with fresh ledger and operator keys and a signed size-0 checkpoint.
    /// - parameters:
    ///   - root: the directory to create (it may exist only if empty).
    ///   - trialID: the trial's identifier.
    ///   - origin: the checkpoint origin; defaults to `trialchain.local/trials/<trialID>`.
    /// - throws: `WorkspaceError.alreadyExists`, `.invalidName`, or a storage error. On error
    ///   nothing is left behind.
    public static func create(at root: URL, trialID: String, origin: String? = nil, signerName: String? = nil,
                              clock: TrialClock = TrialClock()) throws -> Workspace {
        guard trialID.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            throw WorkspaceError.invalidName(what: "trial ID", value: trialID, rule: trialIDRule)
        }
        let origin = origin ?? "trialchain.local/trials/\(trialID)"
        guard NoteKeyID.isValidName(origin), !origin.contains("://"), origin.count <= 200 else {
            throw WorkspaceError.invalidName(what: "origin", value: origin,
                rule: "use a schema-less URL such as example.org/trials/\(trialID): no spaces, no '+', no scheme")
        }
        let layout = WorkspaceLayout(root: root)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: layout.root.path, isDirectory: &isDirectory) {
            let contents = (try? fileManager.contentsOfDirectory(atPath: layout.root.path)) ?? ["?"]
            guard isDirectory.boolValue, contents.isEmpty else { throw WorkspaceError.alreadyExists(path: layout.root.path) }
        }
        // Build in a sibling directory and rename it into place: a half-made workspace never exists.
        // The staging folder holds fresh private keys: it is named after this process, so that a
        // later creation removes the folders of processes that were killed on the way.
        let parent = layout.root.deletingLastPathComponent()
        removeStaleStaging(of: layout)
        let staging = parent.appendingPathComponent(".\(layout.root.lastPathComponent).init-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw WorkspaceError.storage("cannot create \(staging.path): \(error.localizedDescription)")
        }
        do {
            let stagingLayout = WorkspaceLayout(root: staging)
            try fileManager.createDirectory(at: stagingLayout.objects, withIntermediateDirectories: true)
            let ledger = try NoteSigner.generate(name: origin)
            let op = try NoteSigner.generate(name: "\(origin)/operator")
            try KeyFiles.write(ledger, role: .ledger, layout: stagingLayout)
            try KeyFiles.write(op, role: .operator, layout: stagingLayout)
            let name = signerName ?? Workspace.defaultSignerName()
            try PolicyFile.atomicWrite(TrustPolicy(signers: [.init(key: op.verifierKey, name: name, maySign: ["*"])]).canonicalBytes,
                                       to: stagingLayout.trustPolicy)
            try translate(stagingLayout) {
                // 64 KiB pages: bulk record inserts run about a quarter faster than with 4 KiB.
                // The page size is fixed before the first table, and before WAL mode (which
                // DatabasePool turns on) makes it unchangeable.
                let queue = try DatabaseQueue(path: stagingLayout.database.path, configuration: configuration())
                try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
                try Schema.migrator.migrate(queue)
                try queue.close()
                let pool = try DatabasePool(path: stagingLayout.database.path, configuration: configuration())
                try pool.write { db in
                    let meta = [
                        "trial_id": trialID, "origin": origin, "created_at": clock.timestamp,
                        "ledger_key": ledger.verifierKey.description, "operator_key": op.verifierKey.description,
                        "created_by": "trialchain \(TrialChainVersion.current)",
                    ]
                    for (key, value) in meta.sorted(by: { $0.key < $1.key }) {
                        try db.execute(sql: "INSERT INTO workspace_meta (key, value) VALUES (?, ?)", arguments: [key, value])
                    }
                    _ = try LedgerStore(db).signCheckpoint(size: 0, root: RFC6962.emptyRoot, signer: ledger, origin: origin, signedAt: clock.timestamp)
                }
                try pool.close()
            }
            // rename(2) is atomic and never removes anything: it replaces at most an empty folder,
            // and fails when another process put a workspace there first.
            guard rename(staging.path, layout.root.path) == 0 else {
                let code = errno
                if code == ENOTEMPTY || code == EEXIST || code == ENOTDIR { throw WorkspaceError.alreadyExists(path: layout.root.path) }
                throw WorkspaceError.storage("cannot move the new workspace into \(layout.root.path): \(String(cString: strerror(code)))")
            }
        } catch {
            try? fileManager.removeItem(at: staging)
            if let known = error as? WorkspaceError { throw known }
            throw WorkspaceError.storage("\(error)")
        }
        return try open(at: layout.root, clock: clock)
    }

    /// Removes staging folders (`.<name>.init-<pid>-…`) that killed creations left beside the
    /// workspace, with the private keys they hold; a folder of a running creation stays.
    static func removeStaleStaging(of layout: WorkspaceLayout) {
        let parent = layout.root.deletingLastPathComponent()
        let prefix = ".\(layout.root.lastPathComponent).init-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let pid = name.dropFirst(prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let pid, ProcessLiveness.isRunning(pid) { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    /// The printed name used when none is given: `$TRIALCHAIN_SIGNER`, else the login name.
    public static func defaultSignerName(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for key in ["TRIALCHAIN_SIGNER", "USER", "LOGNAME"] {
            if let value = environment[key], !value.isEmpty { return value }
        }
        return "operator"
    }

    /// Opens an existing workspace.
    /// - throws: `WorkspaceError.notFound`, `.notADatabase`, `.foreignDatabase` or
    ///   `.newerSchema`; a foreign or corrupt file is never modified.
    /// - parameter readOnly: open the database read-only: nothing is migrated or written, not a
    ///   byte of the workspace changes, and a copy on read-only media works (what `verify`,
    ///   `prove`, `log`, `checkpoint`, `export` and `rejects` use). Readers wait for, and never
    ///   block, a writer (WAL).
    public static func open(at root: URL, clock: TrialClock = TrialClock(), readOnly: Bool = false) throws -> Workspace {
        _ = sqliteTuned
        let layout = WorkspaceLayout(root: root)
        guard FileManager.default.fileExists(atPath: layout.database.path) else {
            throw WorkspaceError.notFound(path: layout.root.path)
        }
        // Is this our database, at a schema this binary knows? Asked before touching anything.
        func check(_ db: Database) throws {
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            guard applicationID == Schema.applicationID else { throw WorkspaceError.foreignDatabase(path: layout.database.path) }
            let known = Set(Schema.migrator.migrations)
            let applied = try Schema.migrator.appliedIdentifiers(db)
            if !applied.isSubset(of: known) {
                throw WorkspaceError.newerSchema(path: layout.database.path, version: applied.count)
            }
            if readOnly, applied != known { throw WorkspaceError.olderSchema(path: layout.database.path) }
        }
        if readOnly {
            // A read-only pool changes nothing (no WAL switch, no migration), so it asks itself.
            let pool = try translate(layout) {
                var configuration = configuration()
                configuration.readonly = true
                let pool = try DatabasePool(path: try readOnlyPath(layout), configuration: configuration)
                try pool.read(check)
                return pool
            }
            return try Workspace(layout: layout, pool: pool, clock: clock)
        }
        // A writable open looks first through a read-only connection, so a foreign file is never
        // switched to WAL or migrated.
        try translate(layout) {
            var probing = Configuration()
            probing.readonly = true
            // A writer closing its connection holds the file briefly: wait, never fail.
            probing.busyMode = .timeout(30)
            let probe = try DatabaseQueue(path: layout.database.path, configuration: probing)
            defer { try? probe.close() }
            try probe.read(check)
        }
        let pool = try translate(layout) {
            let pool = try DatabasePool(path: layout.database.path, configuration: configuration())
            try Schema.migrator.migrate(pool)
            return pool
        }
        return try Workspace(layout: layout, pool: pool, clock: clock)
    }

    /// The database path for a read-only open. A WAL reader needs SQLite's `-shm` index beside the
    /// database; on read-only media where none exists, the database is opened as immutable (an
    /// SQLite URI), which is exact when no `-wal` holds uncheckpointed pages, as nobody can write
    /// there either.
    /// - throws: `WorkspaceError.storage` when the media is read-only and a `-wal` holds pages.
    static func readOnlyPath(_ layout: WorkspaceLayout) throws -> String {
        let path = layout.database.path
        let folder = layout.root.path
        if access(folder, W_OK) == 0 || FileManager.default.fileExists(atPath: path + "-shm") { return path }
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        guard wal == 0 else {
            throw WorkspaceError.storage("\(path) is on read-only media with a write-ahead log (\(path)-wal) but no -shm index: copy the workspace to writable storage (a copy made while no trialchain command writes to it has no -wal)")
        }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:\(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)?immutable=1"
    }

    /// The page size of new workspace databases.
    static let pageSize = 65_536

    /// Process-wide SQLite settings, applied once before the first connection opens: memory
    /// statistics off (they take a global mutex on each of SQLite's allocations; about a tenth of
    /// the writer's time in a measurement ingest).
    private static let sqliteTuned: Bool = trialchain_sqlite_disable_memstatus() == 0

    static func configuration() -> Configuration {
        _ = sqliteTuned
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            guard !db.configuration.readonly else { return }
            // Durable commits: a stage that reported success survives a power cut.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 32 MiB of page cache: big batches spill to the WAL less often, and ingest stays
            // under 100 MB whatever the file size (measured: no faster with 64 MiB).
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        return configuration
    }

    /// Runs storage code, turning SQLite errors into messages a coordinator can act on.
    static func translate<T>(_ layout: WorkspaceLayout, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                throw WorkspaceError.notADatabase(path: layout.database.path, reason: error.message ?? "\(error.resultCode)")
            case .SQLITE_CONSTRAINT where (error.message ?? "").contains("append-only"):
                throw WorkspaceError.ledgerInconsistent(error.message ?? "append-only table")
            default:
                throw WorkspaceError.storage(error.message ?? "\(error)")
            }
        }
    }

    // MARK: Access

    /// Reads the ledger in a consistent snapshot.
    public func read<T>(_ body: (LedgerStore) throws -> T) throws -> T {
        try Workspace.translate(layout) { try pool.read { db in try body(LedgerStore(db)) } }
    }

    /// Runs `body` in one write transaction: all of it commits, or none of it. Leftovers of
    /// killed processes (temporary blobs, staging folders with keys) are removed first.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        objects.removeLeftovers()
        Workspace.removeStaleStaging(of: layout)
        return try Workspace.translate(layout) { try pool.write { db in try body(db) } }
    }

    /// Appends raw entries as one batch with a new signed checkpoint.
    ///
    /// For tools and benchmarks that manage their own entry format: `verify` checks TrialChain
    /// attestations, so entries that are not signed DSSE envelopes fail its attestation check.
    /// - throws: key and storage errors; on error nothing is appended.
    @discardableResult
    public func appendEntries(_ entries: [[UInt8]]) throws -> AppendResult {
        let ledgerSigner = try signer(.ledger)
        return try write { db in
            try LedgerStore(db).append(entries, signer: ledgerSigner, origin: origin, signedAt: clock.timestamp)
        }
    }

    /// The signer for a role, checked against the workspace's public key.
    /// - throws: `WorkspaceError.keyProblem` when the key file is missing, too open or foreign.
    public func signer(_ role: KeyRole) throws -> NoteSigner {
        let signer = try KeyFiles.readSigner(role: role, layout: layout)
        let expected = role == .ledger ? ledgerKey : operatorKey
        guard signer.verifierKey == expected else {
            throw WorkspaceError.keyProblem(path: layout.privateKey(role).path, reason: "does not belong to this workspace (its public key is not \(expected.handle))")
        }
        return signer
    }

    /// The verifier key for a role.
    public func verifierKey(_ role: KeyRole) -> NoteVerifierKey {
        role == .ledger ? ledgerKey : operatorKey
    }
}

/// The version of the trialchain tool, recorded in attestations.
public enum TrialChainVersion {
    public static let current = "0.1.0"
}
