import Foundation
import GRDB
import MerkleLog

extension Workspace {
    /// One tlog-tiles resource of the log up to its latest signed checkpoint: a hash tile's base
    /// row (32 bytes per hash) or an entry bundle (each entry as a 2-byte big-endian length and its
    /// bytes), as `serve` answers it.
    /// - returns: nil when the tree of the latest checkpoint does not hold the resource (a tile past
    ///   the signed size is never served: it would show what no checkpoint signs yet).
    /// - throws: `PublishError.entryTooLarge` for an entry a bundle cannot hold.
    public func tileResource(_ path: TilePath) throws -> [UInt8]? {
        try read { ledger in
            let size = try ledger.checkpoint().size
            let level = path.level ?? 0
            let available = size >> UInt64(Tile.height * level)
            guard path.index <= available / 256,
                  path.index * 256 + UInt64(path.width) <= available else { return nil }
            guard path.level != nil else {
                var bundle: [UInt8] = []
                let first = path.index * 256
                let rows = try Row.fetchCursor(ledger.db, sql: "SELECT idx, entry FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                                               arguments: [Int64(first), Int64(first + UInt64(path.width))])
                while let row = try rows.next() {
                    let entry = Array(row["entry"] as Data)
                    try Workspace.appendBundled(entry, index: UInt64(row["idx"] as Int64), to: &bundle)
                }
                return bundle
            }
            guard let data = try Data.fetchOne(ledger.db, sql: "SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ? AND width = ?",
                                               arguments: [level, Int64(path.index), path.width]),
                  let tile = Tile(level: level, index: path.index, width: path.width, encoded: Array(data)) else { return nil }
            return tile.publishedBytes
        }
    }

    /// Appends one entry to a tlog-tiles entry bundle: its 2-byte big-endian length, then its bytes.
    static func appendBundled(_ entry: [UInt8], index: UInt64, to bundle: inout [UInt8]) throws {
        guard entry.count <= 0xFFFF else { throw PublishError.entryTooLarge(index: index, bytes: entry.count) }
        bundle += [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)]
        bundle += entry
    }
}

extension Tile {
    /// The bytes tlog-tiles publishes for a tile: its base row, 32 bytes per hash.
    var publishedBytes: [UInt8] { Array(base.flatMap(\.bytes)) }
}
