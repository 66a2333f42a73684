import Foundation
import GRDB
import MerkleLog
import SignedNote

/// What `publish` wrote.
public struct PublishReport: Sendable, Equatable {
    /// The tree size of the published checkpoint.
    public var size: UInt64 = 0
    /// Tiles written now (full tiles already published are never rewritten).
    public var tilesWritten = 0
    public var tilesKept = 0
    /// Entry bundles written now.
    public var bundlesWritten = 0
}

/// Why a log cannot be published into a folder.
public enum PublishError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A full tile or bundle already there differs: the folder holds another log, or was altered.
    case conflict(path: String)
    /// An entry too large for a tlog-tiles entry bundle (a 16-bit length).
    case entryTooLarge(index: UInt64, bytes: Int)
    /// The folder's checkpoint is of another log, or larger than this log's: publishing would
    /// roll the folder back, and every client that saw it would see a fork.
    case rollback(path: String, published: String)
    case storage(String)

    public var description: String {
        switch self {
        case let .conflict(path):
            return "\(path) is already published with other content: the folder holds another log's files or was altered (publish into an empty folder, or the one this log was published to)"
        case let .entryTooLarge(index, bytes):
            return "entry \(index) is \(bytes) bytes; a tlog-tiles entry bundle holds entries of at most 65,535 bytes (publish without --entries)"
        case let .rollback(path, published):
            return "\(path) already holds \(published); publishing this log's smaller or other checkpoint would roll the folder back (publish into an empty folder, or the one this log was published to)"
        case let .storage(message): return "cannot publish: \(message)"
        }
    }
}

extension Workspace {
    /// Writes the ledger in the C2SP tlog-tiles layout under `folder`, for any static web server:
    /// `tile/<L>/<N>[.p/<W>]` (each tile's base row: its hashes, 32 bytes each), with `entries`
    /// the entry bundles `tile/entries/<N>[.p/<W>]` (each entry as a 2-byte big-endian length and
    /// its bytes) and the anchored trust policies `trust-policy/<sha256>` (for monitors), and `checkpoint` (the latest signed checkpoint with its cosignatures) last.
    /// Incremental: full tiles and bundles already there are checked, never rewritten; every file
    /// is written to a temporary name and renamed.
    /// - throws: `PublishError`.
    public func publish(to folder: URL, entries: Bool) throws -> PublishReport {
        var report = PublishReport()
        let size = try read { try $0.checkpoint().size }
        report.size = size
        let cosigned = try cosignedCheckpoint(size: size)
        try refuseRollback(of: folder.appendingPathComponent("checkpoint"), to: size)
        func count(_ written: Bool) {
            if written { report.tilesWritten += 1 } else { report.tilesKept += 1 }
        }
        try read { ledger in
            let db = ledger.db
            // Full tiles, then the right edge of the published size.
            let full = try Row.fetchCursor(db, sql: "SELECT level, idx, hashes FROM ledger_tiles WHERE width = 256 ORDER BY level, idx")
            while let row = try full.next() {
                let level: Int = row["level"], index = UInt64(row["idx"] as Int64)
                guard let tile = Tile(level: level, index: index, width: 256, encoded: Array(row["hashes"] as Data)) else { continue }
                try count(write(tile.publishedBytes, to: folder.appendingPathComponent(tile.path), immutable: true))
            }
            for (level, width) in TileAppender.partialWidths(size: size).enumerated() where width > 0 {
                let index = size >> UInt64(Tile.height * (level + 1))
                guard let data = try Data.fetchOne(db, sql: "SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ? AND width = ?",
                                                   arguments: [level, Int64(index), width]),
                      let tile = Tile(level: level, index: index, width: width, encoded: Array(data)) else {
                    throw PublishError.storage("the right-edge tile \(level)/\(index) of width \(width) is not stored; run `trialchain verify`")
                }
                try count(write(tile.publishedBytes, to: folder.appendingPathComponent(tile.path), immutable: false))
            }
            if entries {
                var bundle: [UInt8] = []
                var count = 0
                var bundleIndex: UInt64 = 0
                func flush(partial: Bool) throws {
                    let path = "tile/entries/\(Tile.pathElement(bundleIndex))" + (partial ? ".p/\(count)" : "")
                    if try write(bundle, to: folder.appendingPathComponent(path), immutable: !partial) { report.bundlesWritten += 1 }
                    bundle.removeAll(keepingCapacity: true)
                    count = 0
                    bundleIndex += 1
                }
                try LedgerStore(db).forEachEntry { entry in
                    guard entry.index < size else { return }
                    try Workspace.appendBundled(entry.entry, index: entry.index, to: &bundle)
                    count += 1
                    if count == 256 { try flush(partial: false) }
                }
                if count > 0 { try flush(partial: true) }
                // The trust policies the entries anchor (by digest), so a monitor can check signers.
                for sha256 in try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM anchored_files WHERE name = ? AND entry_idx < ?",
                                                   arguments: [Workspace.trustPolicySubject, Int64(size)]) {
                    let bytes = try Workspace.objectBytes(sha256: sha256, name: "the anchored trust policy", in: objects)
                    _ = try write(bytes, to: folder.appendingPathComponent("trust-policy/\(sha256)"), immutable: true)
                }
            }
        }
        // The checkpoint last: a client that reads it finds every tile it needs.
        _ = try write(Array(cosigned.utf8), to: folder.appendingPathComponent("checkpoint"), immutable: false)
        return report
    }

    /// Refuses to replace a published checkpoint of another origin or of a larger size.
    private func refuseRollback(of url: URL, to size: UInt64) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard let note = try? SignedNote(parsing: text), let published = try? Checkpoint(parsing: note.text) else {
            throw PublishError.rollback(path: url.path, published: "a file that is not a signed checkpoint")
        }
        if published.origin != origin {
            throw PublishError.rollback(path: url.path, published: "a checkpoint of \(published.origin)")
        }
        if published.size > size {
            throw PublishError.rollback(path: url.path, published: "a checkpoint of size \(published.size) (this log: \(size))")
        }
    }

    /// Writes a file atomically; an immutable file already there must have the same bytes.
    /// - returns: whether it was written (false: already there, identical).
    private func write(_ bytes: [UInt8], to url: URL, immutable: Bool) throws -> Bool {
        let manager = FileManager.default
        if let existing = manager.contents(atPath: url.path) {
            if Array(existing) == bytes { return false }
            if immutable { throw PublishError.conflict(path: url.path) }
        }
        do {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw PublishError.storage("cannot rename into \(url.path)") }
        } catch let error as PublishError {
            throw error
        } catch {
            throw PublishError.storage("\(url.path): \(error.localizedDescription)")
        }
        return true
    }
}
