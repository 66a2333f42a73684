import Foundation
import GRDB
import MerkleLog
import SignedNote

/// What a successful verification covered.
public struct LedgerReport: Sendable, Equatable {
    /// Entries recomputed.
    public var entries: UInt64 = 0
    /// Checkpoints whose signature, root and consistency were checked.
    public var checkpoints = 0
    /// Stored tiles compared with the recomputed tree.
    public var tiles = 0
    /// Entries whose attestation signature was checked.
    public var attestations: UInt64 = 0
    /// The size of the outside checkpoint that was checked, if one was given.
    public var externalCheckpointSize: UInt64?
    /// The ledger's root.
    public var root: TreeHash = RFC6962.emptyRoot
    /// Stage runs, records and artifacts checked against their attestations.
    public var stages = StageReport()
    /// Report files on disk compared with their anchored digests.
    public var reports = ReportFilesReport()
    /// The trust policy the ledger's own entries put in force (nil: not derived).
    public var policyInForce: TrustPolicy?
}

/// Recomputes the ledger from its stored entries and checks everything stored against it:
/// leaf hashes, tiles, every checkpoint's signature and root, consistency between consecutive
/// checkpoints, and optionally a checkpoint kept elsewhere. Streams: memory stays flat.
public struct LedgerVerifier {
    let db: Database
    let origin: String
    let ledgerKey: NoteVerifierKey

    /// A verifier for the ledger in `db`, whose checkpoints must be signed by `ledgerKey` for `origin`.
    public init(_ db: Database, origin: String, ledgerKey: NoteVerifierKey) {
        self.db = db
        self.origin = origin
        self.ledgerKey = ledgerKey
    }

    /// Runs every check and stops at the first failure.
    /// - parameters:
    ///   - external: a signed checkpoint obtained elsewhere, which the ledger must extend.
    ///   - checkEntry: an extra check per entry (attestation signatures), run in index order.
    ///   - progress: called now and then with the number of entries done.
    /// - throws: `IntegrityFailure` naming the first broken thing; storage errors.
    public func verify(external: String? = nil,
                       checkEntry: ((StoredEntry) throws -> Void)? = nil,
                       progress: ((UInt64) -> Void)? = nil) throws -> LedgerReport {
        var report = LedgerReport()
        let checkpoints = try LedgerStore(db).checkpoints()
        var targets: [UInt64: (root: TreeHash, external: Bool)] = [:]
        for checkpoint in checkpoints {
            try check(checkpoint)
            targets[checkpoint.size] = (checkpoint.root, false)
        }
        var externalSize: UInt64?
        if let external {
            let checkpoint = try parseExternal(external)
            externalSize = checkpoint.size
            if let stored = targets[checkpoint.size], stored.root != checkpoint.root {
                throw IntegrityFailure.externalCheckpoint(reason: "it signs root \(checkpoint.root.hex) for size \(checkpoint.size), but the ledger's own checkpoint of that size signs \(stored.root.hex): history was rewritten")
            }
            targets[checkpoint.size] = (checkpoint.root, true)
        }

        // Every batch stores the partial right-edge tiles of its checkpoint: the stored partial
        // tiles are exactly those of the checkpointed sizes, checked when the tree reaches each.
        let checkpointSizes = Set(checkpoints.map(\.size))
        var storedPartials: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT level, idx, width FROM ledger_tiles WHERE width < 256") {
            storedPartials.insert("\(row["level"] as Int)/\(row["idx"] as Int64)/\(row["width"] as Int)")
        }
        var expectedPartials: Set<String> = []
        let fullTile = try db.makeStatement(sql: "SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ? AND width = 256")
        let partialTile = try db.makeStatement(sql: "SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ? AND width = ?")

        var appender = TileAppender()
        var fullTiles = 0
        try checkTarget(size: 0, root: appender.root, targets: targets)
        try LedgerStore(db).forEachEntry { entry in
            guard entry.index == appender.size else {
                throw IntegrityFailure.entryMissing(expected: appender.size, found: entry.index)
            }
            let leaf = RFC6962.leafHash(entry.entry)
            guard leaf.constantTimeEquals(entry.leafHash) else { throw IntegrityFailure.entryAltered(index: entry.index) }
            if let checkEntry {
                try checkEntry(entry)
                report.attestations += 1
            }
            try appender.append(leaf) { tile in
                guard let data = try Data.fetchOne(fullTile, arguments: [tile.level, Int64(tile.index)]) else {
                    throw IntegrityFailure.tileMissing(path: tile.path)
                }
                try compare(stored: Array(data), computed: tile)
                fullTiles += 1
            }
            let size = appender.size
            if checkpointSizes.contains(size) {
                for tile in appender.partialTiles {
                    let key = "\(tile.level)/\(tile.index)/\(tile.width)"
                    guard expectedPartials.insert(key).inserted else { continue }
                    guard let data = try Data.fetchOne(partialTile, arguments: [tile.level, Int64(tile.index), tile.width]) else {
                        throw IntegrityFailure.tileMissing(path: tile.path)
                    }
                    try compare(stored: Array(data), computed: tile)
                    report.tiles += 1
                }
            }
            if targets[size] != nil { try checkTarget(size: size, root: appender.root, targets: targets) }
            if size & 0xFFFF == 0 { progress?(size) }
        }
        let size = appender.size
        report.entries = size
        report.tiles += fullTiles
        report.root = appender.root

        if let beyond = targets.keys.filter({ $0 > size }).min() {
            if targets[beyond]!.external {
                throw IntegrityFailure.externalCheckpoint(reason: "it covers \(beyond) entries, but the ledger holds only \(size): entries were deleted or the ledger was replaced by an older copy")
            }
            throw IntegrityFailure.checkpointPastLedger(size: beyond, ledgerSize: size)
        }
        if let extra = storedPartials.subtracting(expectedPartials).sorted().first {
            let parts = extra.split(separator: "/").map { UInt64($0) ?? 0 }
            // A partial tile is the right edge of the size its batch signed: if that size is within
            // the ledger and has no checkpoint, the checkpoint is what was deleted.
            let fixedAt = parts[1] << UInt64(Tile.height * (Int(parts[0]) + 1)) + parts[2] << UInt64(Tile.height * Int(parts[0]))
            if fixedAt <= appender.size, !checkpointSizes.contains(fixedAt) { throw IntegrityFailure.checkpointMissing(size: fixedAt) }
            throw IntegrityFailure.tileUnexpected(path: "tile/\(parts[0])/\(Tile.pathElement(parts[1])).p/\(parts[2])")
        }
        let storedFull = try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_tiles WHERE width = 256") ?? 0
        if storedFull != fullTiles {
            let extra = try Row.fetchOne(db, sql: "SELECT level, idx FROM ledger_tiles WHERE width = 256 ORDER BY level DESC, idx DESC LIMIT 1")
            let path = extra.map { "tile/\($0["level"] as Int)/\(Tile.pathElement(UInt64($0["idx"] as Int64)))" } ?? "a tile"
            throw IntegrityFailure.tileUnexpected(path: path)
        }
        let latest = checkpoints.last?.size ?? 0
        if latest < size { throw IntegrityFailure.unsignedEntries(first: latest, count: size - latest) }

        // Consistency between consecutive checkpoints, with proofs built from the stored tiles.
        let store = LedgerStore(db)
        for (older, newer) in zip(checkpoints, checkpoints.dropFirst()) where older.size > 0 {
            do {
                let proof = try store.consistencyProof(from: older.size, to: newer.size).proof
                try ProofVerifier.verifyConsistency(oldSize: older.size, newSize: newer.size, oldRoot: older.root.bytes,
                                                    newRoot: newer.root.bytes, proof: proof.map(\.bytes))
            } catch {
                throw IntegrityFailure.checkpointsInconsistent(from: older.size, to: newer.size, reason: "\(error)")
            }
        }
        report.checkpoints = checkpoints.count
        report.externalCheckpointSize = externalSize
        return report
    }

    private func check(_ stored: StoredCheckpoint) throws {
        let note: SignedNote
        do {
            note = try SignedNote(parsing: stored.note)
            try note.verify(trusting: [ledgerKey])
        } catch {
            throw IntegrityFailure.checkpointSignature(size: stored.size, reason: "\(error)")
        }
        guard let body = try? Checkpoint(parsing: note.text) else {
            throw IntegrityFailure.checkpointMalformed(size: stored.size, reason: "the signed text is not a checkpoint")
        }
        guard body.origin == origin else {
            throw IntegrityFailure.checkpointMalformed(size: stored.size, reason: "it is for origin \(body.origin), not \(origin)")
        }
        guard body.size == stored.size, body.root == stored.root else {
            throw IntegrityFailure.checkpointMalformed(size: stored.size, reason: "its size or root column disagrees with the signed note")
        }
    }

    private func parseExternal(_ text: String) throws -> Checkpoint {
        let note: SignedNote
        do {
            note = try SignedNote(parsing: text)
        } catch {
            throw IntegrityFailure.externalCheckpoint(reason: "it is not a signed note (\(error))")
        }
        let body: Checkpoint
        do {
            body = try Checkpoint(parsing: note.text)
        } catch {
            throw IntegrityFailure.externalCheckpoint(reason: "\(error)")
        }
        guard body.origin == origin else {
            throw IntegrityFailure.externalCheckpoint(reason: "it is for origin \(body.origin), but this ledger is \(origin)")
        }
        do {
            try note.verify(trusting: [ledgerKey])
        } catch {
            throw IntegrityFailure.externalCheckpoint(reason: "\(error) (the ledger key is \(ledgerKey.handle))")
        }
        return body
    }

    private func checkTarget(size: UInt64, root: TreeHash, targets: [UInt64: (root: TreeHash, external: Bool)]) throws {
        guard let target = targets[size], !target.root.constantTimeEquals(root) else { return }
        if target.external {
            throw IntegrityFailure.externalCheckpoint(reason: "it signs root \(target.root.hex) for size \(size), but the ledger's first \(size) entries give \(root.hex): history was rewritten")
        }
        throw IntegrityFailure.checkpointRoot(size: size, stored: target.root, computed: root)
    }

    private func compare(stored: [UInt8], computed: Tile) throws {
        guard stored != computed.encoded else { return }
        var firstEntry: UInt64?
        if computed.level == 0 {
            let base = Tile(level: 0, index: computed.index, width: computed.width, encoded: stored)?.base
            let position = base.map { Array(zip($0, computed.base)).firstIndex { $0.0 != $0.1 } ?? 0 } ?? 0
            firstEntry = computed.index * UInt64(Tile.fullWidth) + UInt64(position)
        }
        throw IntegrityFailure.tileMismatch(path: computed.path, firstEntry: firstEntry)
    }
}

