import Foundation
import GRDB
import MerkleLog
import SignedNote

/// A checkpoint as stored: the signed note and what it commits to.
public struct StoredCheckpoint: Sendable, Equatable {
    /// The tree size.
    public let size: UInt64
    /// The root hash.
    public let root: TreeHash
    /// The signed note, exactly as signed.
    public let note: String
    /// When it was signed (UTC, ISO 8601).
    public let signedAt: String
}

/// One stored ledger entry.
public struct StoredEntry: Sendable, Equatable {
    public let index: UInt64
    public let leafHash: TreeHash
    /// The exact leaf bytes (canonical JSON of a DSSE envelope for TrialChain's own entries).
    public let entry: [UInt8]
}

/// What one appended batch produced.
public struct AppendResult: Sendable, Equatable {
    /// The index of the first entry of the batch.
    public let firstIndex: UInt64
    /// The new tree size.
    public let size: UInt64
    /// The new root.
    public let root: TreeHash
    /// The new signed checkpoint.
    public let checkpoint: String
}

/// The trial ledger in SQLite: entries, tiles and checkpoints.
///
/// Every method works inside the caller's transaction, so that a stage's outputs, its ledger
/// entries and the new checkpoint commit together or not at all.
public struct LedgerStore {
    let db: Database

    /// A ledger view on an open database connection.
    public init(_ db: Database) { self.db = db }

    /// The size of the latest checkpoint (every batch signs one, so this is the ledger size).
    public func size() throws -> UInt64 {
        UInt64(try Int64.fetchOne(db, sql: "SELECT max(size) FROM ledger_checkpoints") ?? 0)
    }

    /// Appends entries as one batch and signs a checkpoint for the new tree.
    /// - parameters:
    ///   - entries: the leaf bytes, in order.
    ///   - signer: the ledger key; its name should be the origin.
    ///   - origin: the checkpoint's origin line.
    ///   - signedAt: the UTC time stamp recorded with the checkpoint.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the stored right edge does not match
    ///   the size; storage errors.
    @discardableResult
    public func append(_ entries: [[UInt8]], signer: NoteSigner, origin: String, signedAt: String) throws -> AppendResult {
        let start = try size()
        // max(idx) is a rowid lookup; count(*) would scan the whole ledger on every batch.
        let count = (try Int64.fetchOne(db, sql: "SELECT max(idx) + 1 FROM ledger_entries") ?? 0)
        guard UInt64(count) == start else {
            throw WorkspaceError.ledgerInconsistent("the entries end at index \(count) but the latest checkpoint has size \(start)")
        }
        let initial = try TileAppender(size: start, partialBases: rightEdge(size: start))
        let leafHashes = LedgerStore.leafHashes(entries)

        // The tree's tiles are hashed on another core while this one inserts the entries.
        let building = TileBuild(appender: initial)
        let group = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            for hash in leafHashes { building.appender.append(hash) { building.full.append($0) } }
        }
        let insertEntry = try RawStatement(db, sql: "INSERT INTO ledger_entries (idx, leaf_hash, entry) VALUES (?, ?, ?)")
        var insertError: Error?
        do {
            for (offset, entry) in entries.enumerated() {
                insertEntry.bind(1, Int64(start) + Int64(offset))
                withUnsafeBytes(of: leafHashes[offset]) { insertEntry.bind(2, bytes: $0) }
                entry.withUnsafeBytes { insertEntry.bind(3, bytes: $0) }
                try insertEntry.execute()
            }
        } catch {
            insertError = error
        }
        group.wait()
        if let insertError { throw insertError }
        let appender = building.appender

        let insertTile = try RawStatement(db, sql: "INSERT OR IGNORE INTO ledger_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?)")
        // Full tiles, then the right edge (a batch of zero entries leaves the right edge as it was).
        for tile in building.full + appender.partialTiles {
            insertTile.bind(1, Int64(tile.level))
            insertTile.bind(2, Int64(tile.index))
            insertTile.bind(3, Int64(tile.width))
            tile.encoded.withUnsafeBytes { insertTile.bind(4, bytes: $0) }
            try insertTile.execute()
        }
        let root = appender.root
        let note = try signCheckpoint(size: appender.size, root: root, signer: signer, origin: origin, signedAt: signedAt)
        return AppendResult(firstIndex: start, size: appender.size, root: root, checkpoint: note)
    }

    /// Signs and stores the checkpoint for `size` (used by `append` and by workspace creation).
    func signCheckpoint(size: UInt64, root: TreeHash, signer: NoteSigner, origin: String, signedAt: String) throws -> String {
        if let existing = try String.fetchOne(db, sql: "SELECT note FROM ledger_checkpoints WHERE size = ?", arguments: [Int64(size)]) {
            return existing
        }
        let note = try Checkpoint(origin: origin, size: size, root: root).signed(by: signer).serialized
        try db.execute(sql: "INSERT INTO ledger_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
                       arguments: [Int64(size), Data(root.bytes), note, signedAt])
        return note
    }

    /// Leaf hashes of a batch, on all cores for big batches.
    static func leafHashes(_ entries: [[UInt8]]) -> [TreeHash] {
        var hashes = [TreeHash](repeating: .zero, count: entries.count)
        let chunk = 4096
        guard entries.count > chunk else {
            for (offset, entry) in entries.enumerated() { hashes[offset] = RFC6962.leafHash(entry) }
            return hashes
        }
        hashes.withUnsafeMutableBufferPointer { output in
            // Each chunk writes a disjoint range of the buffer.
            let target = DisjointWrites(base: output.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: (entries.count + chunk - 1) / chunk) { part in
                let range = (part * chunk)..<min(entries.count, (part + 1) * chunk)
                for offset in range { target.base[offset] = RFC6962.leafHash(entries[offset]) }
            }
        }
        return hashes
    }

    /// The base rows of the right-edge tiles for a tree of `size`.
    func rightEdge(size: UInt64) throws -> [[TreeHash]] {
        let source = StoredNodeSource(db, size: size)
        return try TileAppender.partialWidths(size: size).enumerated().map { level, width in
            guard width > 0 else { return [] }
            let tileIndex = size >> UInt64(Tile.height * (level + 1))
            let firstNode = tileIndex << UInt64(Tile.height)
            return try (0..<UInt64(width)).map {
                try source.hash(NodeID(level: level * Tile.height, index: firstNode + $0))
            }
        }
    }

    // MARK: Reading

    /// Every checkpoint, by size.
    public func checkpoints() throws -> [StoredCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT size, root, note, signed_at FROM ledger_checkpoints ORDER BY size").map(LedgerStore.checkpoint)
    }

    /// The checkpoint of `size`, or the latest one.
    /// - throws: `WorkspaceError.noCheckpoint` when none of that size was signed.
    public func checkpoint(size: UInt64? = nil) throws -> StoredCheckpoint {
        let row: Row?
        if let size {
            row = try Row.fetchOne(db, sql: "SELECT size, root, note, signed_at FROM ledger_checkpoints WHERE size = ?", arguments: [Int64(size)])
        } else {
            row = try Row.fetchOne(db, sql: "SELECT size, root, note, signed_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
        }
        guard let row else {
            let sizes = try Int64.fetchAll(db, sql: "SELECT size FROM ledger_checkpoints ORDER BY size")
            throw WorkspaceError.noCheckpoint(size: size ?? 0, available: LedgerStore.summarize(sizes))
        }
        return LedgerStore.checkpoint(row)
    }

    private static func checkpoint(_ row: Row) -> StoredCheckpoint {
        let root: Data = row["root"]
        return StoredCheckpoint(size: UInt64(row["size"] as Int64), root: TreeHash(bytes: root) ?? .zero,
                                note: row["note"], signedAt: row["signed_at"])
    }

    static func summarize(_ sizes: [Int64]) -> String {
        if sizes.isEmpty { return "none" }
        if sizes.count <= 12 { return sizes.map(String.init).joined(separator: ", ") }
        return sizes.prefix(5).map(String.init).joined(separator: ", ") + ", … , " + sizes.suffix(5).map(String.init).joined(separator: ", ")
    }

    /// Entries in index order, streamed to `body` (memory does not grow with the ledger).
    /// - parameter end: stop before this index (default: the last entry).
    public func forEachEntry(from start: UInt64 = 0, before end: UInt64 = UInt64(Int64.max), _ body: (StoredEntry) throws -> Void) throws {
        let query = try RawStatement(db, sql: "SELECT idx, leaf_hash, entry FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx")
        query.bind(1, Int64(start))
        query.bind(2, Int64(min(end, UInt64(Int64.max))))
        while try query.step() {
            let hash = query.blob(1)
            try body(StoredEntry(index: UInt64(query.int64(0)),
                                 leafHash: hash.count == 32 ? TreeHash(copying: hash) : .zero,
                                 entry: Array(query.blob(2))))
        }
    }

    /// One entry.
    /// - throws: `WorkspaceError.outOfRange` when there is no such entry.
    public func entry(_ index: UInt64) throws -> StoredEntry {
        guard let row = try Row.fetchOne(db, sql: "SELECT leaf_hash, entry FROM ledger_entries WHERE idx = ?", arguments: [Int64(index)]) else {
            throw WorkspaceError.outOfRange("there is no entry \(index): the ledger has \(try size()) entries")
        }
        let hash: Data = row["leaf_hash"]
        let bytes: Data = row["entry"]
        return StoredEntry(index: index, leafHash: TreeHash(bytes: hash) ?? .zero, entry: Array(bytes))
    }

    // MARK: Proofs

    /// The inclusion proof of entry `index` in the tree of `size` entries (the latest by default).
    /// - throws: `WorkspaceError.outOfRange` for an index or size past the ledger.
    public func inclusionProof(index: UInt64, size requested: UInt64? = nil) throws -> (leafHash: TreeHash, proof: [TreeHash], root: TreeHash, size: UInt64) {
        let current = try size()
        let size = requested ?? current
        guard size <= current else {
            throw WorkspaceError.outOfRange("tree size \(size) is past the ledger's \(current) entries")
        }
        guard index < size else {
            throw WorkspaceError.outOfRange("entry \(index) is not in a tree of \(size) entries (valid indices: 0..<\(size))")
        }
        let source = StoredNodeSource(db, size: size)
        let proof = try MerkleProofs.inclusionProof(index: index, size: size, source: source)
        let leaf = try source.hash(NodeID(level: 0, index: index))
        return (leaf, proof, try MerkleProofs.root(size: size, source: source), size)
    }

    /// The consistency proof between two tree sizes (the newer defaults to the latest).
    /// - throws: `WorkspaceError.outOfRange` unless `0 < from <= to <= size`.
    public func consistencyProof(from: UInt64, to requested: UInt64? = nil) throws -> (proof: [TreeHash], oldRoot: TreeHash, newRoot: TreeHash, to: UInt64) {
        let current = try size()
        let to = requested ?? current
        guard to <= current else { throw WorkspaceError.outOfRange("tree size \(to) is past the ledger's \(current) entries") }
        guard from > 0 else { throw WorkspaceError.outOfRange("a consistency proof from size 0 proves nothing; use --from 1 or more") }
        guard from <= to else { throw WorkspaceError.outOfRange("--from \(from) is larger than --to \(to)") }
        let source = StoredNodeSource(db, size: to)
        let proof = from == to ? [] : try MerkleProofs.consistencyProof(from: from, to: to, source: source)
        return (proof, try MerkleProofs.root(size: from, source: source), try MerkleProofs.root(size: to, source: source), to)
    }
}

/// A buffer that parallel workers write to at disjoint offsets.
private struct DisjointWrites: @unchecked Sendable {
    let base: UnsafeMutablePointer<TreeHash>
}

/// Tile building handed to a worker thread; read back only after the worker has finished.
private final class TileBuild: @unchecked Sendable {
    var appender: TileAppender
    var full: [Tile] = []
    init(appender: TileAppender) { self.appender = appender }
}
