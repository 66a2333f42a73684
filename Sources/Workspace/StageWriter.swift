import Attestation
import CFileSync
import Crypto
import Foundation
import GRDB
import GRDBSQLite
import MerkleLog

/// Records and rejects of one stage run, written inside the run's transaction.
///
/// Each record's canonical bytes are its content plus the participant's salt (RFC 8785 JSON);
/// its leaf hash joins the run's record tree (RFC 6962), whose root the attestation carries.
public final class StageWriter {
    let db: Database
    let runID: Int64
    /// The run's record tree, stored as tiles (`record_tiles`) as it fills, so that a record
    /// proof reads O(log n) rows instead of rebuilding the tree.
    private var tree = TileAppender()
    private var salts: [String: [UInt8]] = [:]
    private var saltHex: [String: String] = [:]
    private let insertRecord: RawStatement
    private let insertReject: RawStatement
    private let insertSource: RawStatement
    private let insertTile: RawStatement
    /// This run's `record_sources` ids, by artifact and source file.
    private var sourceIDs: [SourceKey: Int64] = [:]
    private struct SourceKey: Hashable {
        let artifact: String
        let sourceFile: String
    }
    /// Accepted records so far.
    public private(set) var recordCount = 0
    /// The first 20 rejects, kept in memory for the message when the stage fails whole.
    public private(set) var rejects: [StageReject] = []
    /// Rejects so far.
    public private(set) var rejectCount = 0
    /// The source line of every record, in record order, hashed as the attestation's `recordLines`.
    private var lines = RecordLines()
    /// Every reject's canonical JSON line, hashed as the attestation's `rejectDigest`.
    private var rejectHasher = SHA256()
    /// The write-ahead log, opened on the first measurement batch, for starting its write-out
    /// while the stage still runs (see `startWALWriteback`).
    private var wal: Int32 = -1
    /// Measurement batches stored since the WAL's write-out was last started.
    private var batchesSinceWriteback = 0
    /// Batches (of 8,192 rows, about 1 MiB of pages each) between two write-outs of the WAL.
    static let batchesPerWriteback = 8

    /// The id of this run's first record: its records are numbered on from there.
    let firstRecord: Int64
    let objects: ObjectStore
    let storedAt: String
    /// Blobs this run added, removed again if the run fails.
    var addedBlobs: [String] = []

    init(_ db: Database, runID: Int64, objects: ObjectStore, storedAt: String) throws {
        self.db = db
        self.runID = runID
        self.objects = objects
        self.storedAt = storedAt
        firstRecord = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM record_rows") ?? 0) + 1
        insertRecord = try RawStatement(db, sql: """
            INSERT INTO record_rows (run_id, id, source_id, participant, site, visit, item, value, unit, observed_at, source_line, canonical, leaf_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertReject = try RawStatement(db, sql: "INSERT INTO rejects (run_id, file, line, field, reason, raw) VALUES (?, ?, ?, ?, ?, ?)")
        insertSource = try RawStatement(db, sql: "INSERT INTO record_sources (run_id, artifact, source_file) VALUES (?, ?, ?)")
        insertTile = try RawStatement(db, sql: "INSERT INTO record_tiles (run_id, level, idx, width, hashes) VALUES (?, ?, ?, ?, ?)")
    }

    /// The `record_sources` row naming an artifact and its source file in this run, added on first use.
    private func sourceID(artifact: String, sourceFile: String) throws -> Int64 {
        let key = SourceKey(artifact: artifact, sourceFile: sourceFile)
        if let id = sourceIDs[key] { return id }
        insertSource.bind(1, runID)
        insertSource.bind(2, text: artifact)
        insertSource.bind(3, text: sourceFile)
        try insertSource.execute()
        let id = db.lastInsertedRowID
        sourceIDs[key] = id
        return id
    }

    /// The participant's salt, created on first use (32 random bytes, never in the ledger).
    public func salt(for participant: String) throws -> [UInt8] {
        if let salt = salts[participant] { return salt }
        if let stored = try Data.fetchOne(db, sql: "SELECT salt FROM participant_salts WHERE participant = ?", arguments: [participant]) {
            salts[participant] = Array(stored)
            return Array(stored)
        }
        let salt = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        try db.execute(sql: "INSERT INTO participant_salts (participant, salt) VALUES (?, ?)", arguments: [participant, Data(salt)])
        salts[participant] = salt
        return salt
    }

    /// The canonical bytes of a record with its salt.
    public static func canonicalBytes(content: JSONValue, salt: [UInt8]) -> [UInt8] {
        canonicalBytes(content: content, saltHex: MerkleLog.Hex.encode(salt))
    }

    static func canonicalBytes(content: JSONValue, saltHex: String) -> [UInt8] {
        canonicalBytes(contentBytes: CanonicalJSON.encode(content), saltHex: saltHex)
    }

    /// `{"record":<content>,"salt":"<hex>"}`: already canonical, since "record" sorts before "salt".
    static func canonicalBytes(contentBytes: [UInt8], saltHex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(contentBytes.count + saltHex.utf8.count + 24)
        out += Array(#"{"record":"#.utf8)
        out += contentBytes
        out += Array(#","salt":""#.utf8)
        out += Array(saltHex.utf8)
        out += Array(#""}"#.utf8)
        return out
    }

    private func hexSalt(for participant: String) throws -> String {
        if let hex = saltHex[participant] { return hex }
        let hex = MerkleLog.Hex.encode(try salt(for: participant))
        saltHex[participant] = hex
        return hex
    }

    /// Stores an accepted record and adds it to the record tree.
    /// - returns: the record's leaf hash.
    @discardableResult
    public func add(_ record: StageRecord) throws -> TreeHash {
        let saltHex = try hexSalt(for: record.participant)
        let canonical = StageWriter.canonicalBytes(content: record.content, saltHex: saltHex)
        let leaf = RFC6962.leafHash(canonical)
        try insert(record, canonical: canonical, leaf: leaf)
        return leaf
    }

    /// Calls `body` with every stored salt (32 bytes) and its participant, one at a time: for a
    /// stage that prepares its records on another thread (it creates the salts of new
    /// participants itself, see `add(_:files:)`). The salt bytes are valid only inside `body`.
    public func forEachStoredSalt(_ body: (String, UnsafeRawBufferPointer) throws -> Void) throws {
        let query = try RawStatement(db, sql: "SELECT participant, salt FROM participant_salts")
        while try query.step() {
            try body(query.string(0), query.blob(1))
        }
    }

    /// Stores a batch of accepted measurements (their salts first) and takes on the record tree
    /// the batch carries. Measurement rows keep no canonical copy: `MeasurementContent` rebuilds it
    /// from the columns and the salt (see `Workspace.canonicalBytes`).
    /// - parameter files: artifact and source file name of each file index the rows refer to.
    /// - precondition: the batch continues this run's record tree (built on the previous batch's `tree`).
    public func add(_ batch: MeasurementBatch, files: [(artifact: String, sourceFile: String)]) throws {
        precondition(batch.treeSizeBefore == tree.size && batch.tree.size == tree.size + UInt64(batch.count),
                     "a measurement batch must continue the run's record tree")
        for tile in batch.tiles { try store(tile) }
        for (participant, salt) in batch.newSalts {
            try db.execute(sql: "INSERT INTO participant_salts (participant, salt) VALUES (?, ?)", arguments: [participant, Data(salt)])
        }
        let s = insertRecord
        // Bindings survive each row's reset: what is the same for many rows is bound once.
        s.bind(1, runID)
        s.bindNull(12)
        var boundFile = -1
        try batch.forEachRow { row in
            if row.file != boundFile {
                s.bind(3, try sourceID(artifact: files[row.file].artifact, sourceFile: files[row.file].sourceFile))
                boundFile = row.file
            }
            s.bind(2, firstRecord + Int64(recordCount))
            s.bind(4, staticText: row.participant)
            s.bind(5, staticText: row.site)
            s.bind(6, staticText: row.visit)
            s.bind(7, staticText: row.item)
            s.bind(8, staticText: row.value)
            if let unit = row.unit { s.bind(9, staticText: unit) } else { s.bindNull(9) }
            s.bind(10, staticText: row.collectedAt)
            s.bind(11, row.line)
            lines.append(row.line)
            try withUnsafeBytes(of: row.leaf) { leaf in
                s.bind(13, staticBytes: leaf)
                try s.execute()
            }
            recordCount += 1
        }
        tree = batch.tree
        batchesSinceWriteback += 1
        if batchesSinceWriteback >= StageWriter.batchesPerWriteback {
            batchesSinceWriteback = 0
            startWALWriteback()
        }
    }

    /// Starts writing the pages SQLite has spilled to the WAL so far, without waiting. This
    /// machine's kernel writes dirty pages back on its own only past a tenth of the memory
    /// (gigabytes), so without it the stage's whole WAL waits for the commit's `fsync`: at 1M rows
    /// about 140 MB written in one go after the last row. A hint only: durability still comes
    /// from SQLite's `fsync` at the commit.
    private func startWALWriteback() {
        if wal < 0 {
            guard let path = db.sqliteConnection.flatMap({ sqlite3_db_filename($0, "main") }).map({ String(cString: $0) + "-wal" }) else { return }
            wal = open(path, O_RDONLY | O_CLOEXEC)
            if wal < 0 { return }
        }
        _ = trialchain_start_writeback(wal)
    }

    deinit {
        if wal >= 0 { close(wal) }
    }

    /// Stores one tile of the run's record tree (above the leaves: see `RecordTiles`).
    private func store(_ tile: Tile) throws {
        guard RecordTiles.isStored(level: tile.level) else { return }
        let s = insertTile
        s.bind(1, runID)
        s.bind(2, Int64(tile.level))
        s.bind(3, Int64(tile.index))
        s.bind(4, Int64(tile.width))
        RecordTiles.baseBytes(tile).withUnsafeBytes { s.bind(5, bytes: $0) }
        try s.execute()
    }

    /// Stores the right-edge tiles of the finished record tree (called once, at the commit).
    func storeRecordTreeEdge() throws {
        for tile in tree.partialTiles { try store(tile) }
    }

    /// Appends the leaf to the record tree and the row to `record_rows`, numbered on from the run's first.
    private func insert(_ record: StageRecord, canonical: [UInt8], leaf: TreeHash) throws {
        let source = try sourceID(artifact: record.artifact, sourceFile: record.sourceFile)
        try tree.append(leaf) { try store($0) }
        let s = insertRecord
        s.bind(1, runID)
        s.bind(2, firstRecord + Int64(recordCount))
        s.bind(3, source)
        s.bind(4, text: record.participant)
        s.bind(5, text: record.site)
        s.bind(6, text: record.visit)
        s.bind(7, text: record.item)
        s.bind(8, text: record.value)
        s.bind(9, text: record.unit)
        s.bind(10, text: record.observedAt)
        if let line = record.sourceLine { s.bind(11, Int64(line)) } else { s.bindNull(11) }
        lines.append(Int64(record.sourceLine ?? 0))
        canonical.withUnsafeBytes { s.bind(12, bytes: $0) }
        withUnsafeBytes(of: leaf) { s.bind(13, bytes: $0) }
        try s.execute()
        recordCount += 1
    }

    /// Stores a reject.
    public func reject(_ reject: StageReject) throws {
        let s = insertReject
        s.bind(1, runID)
        s.bind(2, text: reject.file)
        if let line = reject.line { s.bind(3, Int64(line)) } else { s.bindNull(3) }
        s.bind(4, text: reject.field)
        s.bind(5, text: reject.reason)
        s.bind(6, text: reject.raw)
        try s.execute()
        rejectHasher.update(data: StageWriter.rejectLine(reject))
        rejectCount += 1
        if rejects.count < 20 { rejects.append(reject) }
    }

    /// Stores a document (a signed consent form, say) in the object store, never in the ledger.
    /// - returns: what was stored, with its SHA-256.
    /// - throws: `WorkspaceError.unreadableFile` or `.storage`.
    public func storeDocument(at url: URL) throws -> ObjectStore.Stored {
        let stored = try objects.store(fileAt: url, deferSync: true)
        if stored.isNew { addedBlobs.append(stored.sha256) }
        try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                       arguments: [stored.sha256, stored.byteCount, storedAt])
        return stored
    }

    /// Stores a copy of an input made as it was read (a temporary output of the object store), so
    /// that the stage can be re-run from exactly the bytes it parsed.
    /// - throws: `WorkspaceError.storage` when the copy failed or cannot be moved into the store.
    public func storeDocument(_ copy: HashingOutput) throws -> ObjectStore.Stored {
        let stored = try objects.place(copy, deferSync: true)
        if stored.isNew { addedBlobs.append(stored.sha256) }
        try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                       arguments: [stored.sha256, stored.byteCount, storedAt])
        return stored
    }

    /// Stores bytes (a contract file, say) in the object store, so that the stage can be re-run.
    public func storeDocument(bytes: [UInt8]) throws -> ObjectStore.Stored {
        let stored = try objects.store(bytes: bytes, deferSync: true)
        if stored.isNew { addedBlobs.append(stored.sha256) }
        try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                       arguments: [stored.sha256, stored.byteCount, storedAt])
        return stored
    }

    /// The root of the records added so far.
    public var recordRoot: TreeHash { tree.root }

    /// SHA-256 (hex) of the records' source lines so far (`recordLines`).
    var recordLinesDigest: String { lines.digest }

    /// SHA-256 (hex) of the rejects so far (`rejectDigest`).
    var rejectDigest: String { MerkleLog.Hex.encode(rejectHasher.finalize()) }

    /// One reject as the attestation's `rejectDigest` hashes it: canonical JSON and a newline.
    static func rejectLine(_ reject: StageReject) -> [UInt8] {
        CanonicalJSON.encode([
            "file": .string(reject.file), "line": reject.line.map { .integer(Int64($0)) } ?? .null, "field": .string(reject.field),
            "reason": .string(reject.reason), "raw": reject.raw.map(JSONValue.string) ?? .null,
        ]) + [0x0A]
    }

    /// The bytes of an artifact version as they can be read now (see `Workspace.readableArtifactBytes`).
    public func readableArtifactBytes(_ version: ArtifactVersion) throws -> [UInt8]? {
        try Workspace.readable(version, erased: try Workspace.erasure(of: version.sha256, db), in: objects)
    }

    /// The latest version of an artifact, if any.
    public func latest(_ name: String) throws -> ArtifactVersion? {
        try Workspace.latestArtifact(db, name)
    }

    /// The latest version of every artifact whose name starts with `prefix`, by name.
    public func latest(prefix: String) throws -> [ArtifactVersion] {
        try Workspace.latestArtifacts(db, prefix: prefix)
    }
}

/// The source line of each record in record order (0 for none), as 8-byte big-endian integers,
/// hashed with SHA-256: the attestation's `recordLines`, which binds every record's line.
struct RecordLines {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func append(_ line: Int64) {
        withUnsafeBytes(of: UInt64(bitPattern: line).bigEndian) { buffer.append(contentsOf: $0) }
        if buffer.count >= 1 << 16 {
            hasher.update(data: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    var digest: String {
        var copy = hasher
        copy.update(data: buffer)
        return MerkleLog.Hex.encode(copy.finalize())
    }
}

/// Record tiles are stored as their base row only (C2SP tlog-tiles' own format, 32 bytes a hash):
/// half the bytes of the ledger's tiles with interior rows; a proof rebuilds a tile's interior
/// (255 hashes at most) when it reads one.
///
/// Tiles of level 0 are not stored (since schema v6 plus this build): their base row is 256
/// consecutive leaf hashes, which `record_rows.leaf_hash` already holds, and storing them again
/// was a quarter of a measurement stage's bytes. A proof reads them as one range of record ids.
/// Workspaces that stored them keep them, and `verify` checks those that are there.
enum RecordTiles {
    /// Whether a stage stores a tile of this level.
    static func isStored(level: Int) -> Bool { level > 0 }

    static func baseBytes(_ tile: Tile) -> [UInt8] { tile.base.flatMap(\.bytes) }

    static func tile(level: Int, index: UInt64, width: Int, base bytes: [UInt8]) -> Tile? {
        guard bytes.count == width * 32 else { return nil }
        let base = stride(from: 0, to: bytes.count, by: 32).compactMap { TreeHash(bytes: Array(bytes[$0..<$0 + 32])) }
        return base.count == width ? Tile(level: level, index: index, base: base) : nil
    }
}
