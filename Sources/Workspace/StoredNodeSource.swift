import GRDB
import MerkleLog

/// Reads perfect-subtree hashes from stored tiles, for proofs against any tree size.
///
/// A node is read from the narrowest stored tile that covers it (one query per tile, cached
/// for the proof). Where no tile covers it (the right edge of a size that had no checkpoint),
/// it is computed from its children, down to the leaf hashes.
final class StoredNodeSource: NodeSource {
    /// Which stored tree: the ledger, or one stage run's record tree.
    enum Tree {
        case ledger
        /// A run's records: tiles in `record_tiles`, leaves from record id `firstRecord` on.
        case records(run: Int64, firstRecord: Int64)
    }

    private let db: Database
    /// The tree size the proof is for: nodes past it are refused.
    private let size: UInt64
    private let tree: Tree
    private var tiles: [TileKey: Tile] = [:]

    private struct TileKey: Hashable {
        let level: Int
        let index: UInt64
    }

    init(_ db: Database, size: UInt64, tree: Tree = .ledger) {
        self.db = db
        self.size = size
        self.tree = tree
    }

    func hashes(of nodes: [NodeID]) throws -> [TreeHash] {
        try nodes.map(hash)
    }

    func hash(_ node: NodeID) throws -> TreeHash {
        guard node.leafRange.upperBound <= size else {
            throw WorkspaceError.outOfRange("\(node) lies past tree size \(size)")
        }
        let place = Tile.locate(node)
        if let tile = try tile(level: place.level, index: place.index, minimumWidth: place.minimumWidth),
           let hash = tile.hash(row: place.row, position: place.position) {
            return hash
        }
        if node.level == 0 {
            let data: Data?
            switch tree {
            case .ledger: data = try Data.fetchOne(db, sql: "SELECT leaf_hash FROM ledger_entries WHERE idx = ?", arguments: [Int64(node.index)])
            case let .records(_, first): data = try Data.fetchOne(db, sql: "SELECT leaf_hash FROM record_rows WHERE id = ?", arguments: [first + Int64(node.index)])
            }
            guard let data, let hash = TreeHash(bytes: data) else {
                throw WorkspaceError.ledgerInconsistent("\(tree.name) leaf \(node.index) is missing")
            }
            return hash
        }
        let left = try hash(NodeID(level: node.level - 1, index: node.index * 2))
        let right = try hash(NodeID(level: node.level - 1, index: node.index * 2 + 1))
        return RFC6962.nodeHash(left, right)
    }

    private func tile(level: Int, index: UInt64, minimumWidth: Int) throws -> Tile? {
        let key = TileKey(level: level, index: index)
        if let cached = tiles[key], cached.width >= minimumWidth { return cached }
        let row: Row?
        switch tree {
        case .ledger:
            let statement = try db.cachedStatement(sql: """
                SELECT width, hashes FROM ledger_tiles WHERE level = ? AND idx = ? AND width >= ? ORDER BY width LIMIT 1
                """)
            row = try Row.fetchOne(statement, arguments: [level, Int64(index), minimumWidth])
        case let .records(run, _):
            let statement = try db.cachedStatement(sql: """
                SELECT width, hashes FROM record_tiles WHERE run_id = ? AND level = ? AND idx = ? AND width >= ? ORDER BY width LIMIT 1
                """)
            row = try Row.fetchOne(statement, arguments: [run, level, Int64(index), minimumWidth])
        }
        guard let row else {
            // A run's level-0 tiles are its leaf hashes, read as one range of record ids.
            if case let .records(_, first) = tree, level == 0 { return try leafTile(index: index, minimumWidth: minimumWidth, first: first) }
            return nil
        }
        let width: Int = row["width"]
        let bytes: Data = row["hashes"]
        let decoded: Tile?
        switch tree {
        case .ledger: decoded = Tile(level: level, index: index, width: width, encoded: Array(bytes))
        case .records: decoded = RecordTiles.tile(level: level, index: index, width: width, base: Array(bytes))
        }
        guard let tile = decoded else {
            throw WorkspaceError.ledgerInconsistent("stored tile \(level)/\(index) of width \(width) has \(bytes.count) bytes")
        }
        tiles[key] = tile
        return tile
    }
}

import Foundation

extension StoredNodeSource {
    /// The level-0 tile `index` of a run's record tree, from `record_rows` (as wide as the tree
    /// allows, up to 256 leaves); nil when fewer than `minimumWidth` leaves are there.
    fileprivate func leafTile(index: UInt64, minimumWidth: Int, first: Int64) throws -> Tile? {
        let start = index * UInt64(Tile.fullWidth)
        guard start < size else { return nil }
        let width = Int(min(UInt64(Tile.fullWidth), size - start))
        guard width >= minimumWidth else { return nil }
        let lower = first + Int64(start)
        var base: [TreeHash] = []
        base.reserveCapacity(width)
        let leaves = try Data.fetchCursor(db, sql: "SELECT leaf_hash FROM record_rows WHERE id >= ? AND id < ? ORDER BY id",
                                          arguments: [lower, lower + Int64(width)])
        while let leaf = try leaves.next() {
            guard let hash = TreeHash(bytes: leaf) else { throw WorkspaceError.ledgerInconsistent("\(tree.name) leaf \(base.count) of tile 0/\(index) is malformed") }
            base.append(hash)
        }
        guard base.count == width else { throw WorkspaceError.ledgerInconsistent("\(tree.name) has \(base.count) of the \(width) leaves of tile 0/\(index)") }
        return Tile(level: 0, index: index, base: base)
    }
}

extension StoredNodeSource.Tree {
    var name: String {
        switch self {
        case .ledger: return "ledger"
        case let .records(run, _): return "stage run \(run)'s record tree"
        }
    }
}
