import Crypto
import MerkleLog

/// Accepted measurement rows, ready to store: their column bytes in one buffer, their leaf hashes,
/// and the salts created for participants first seen. Built on a reader thread (no per-row
/// allocation), stored by `StageWriter.add(_:)` in the stage's transaction.
public struct MeasurementBatch: Sendable {
    /// Where a row's columns are in `bytes`.
    struct Row: Sendable {
        /// Start offsets of participant, site, visit, item, value, unit, collected-at, and the end.
        var offsets: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        var hasUnit: Bool
        var file: Int32
        var line: Int64
        var leaf: TreeHash
    }

    private(set) var bytes: [UInt8] = []
    private(set) var rows: [Row] = []
    /// Salts created for participants first seen in this batch, stored before its rows.
    public private(set) var newSalts: [(participant: String, salt: [UInt8])] = []
    private var canonical: [UInt8] = []
    /// The run's record tree after this batch's rows: hashed here, on the thread that builds the
    /// batch, so that the writing thread only stores.
    public private(set) var tree: TileAppender
    /// The record tree's tiles this batch's rows completed (stored with them).
    public private(set) var tiles: [Tile] = []
    /// The record tree's size before this batch.
    let treeSizeBefore: UInt64

    /// - parameter tree: the record tree the batch continues (the previous batch's `tree`; an
    ///   empty tree for a run's first).
    public init(capacity: Int, continuing tree: TileAppender = TileAppender()) {
        self.tree = tree
        treeSizeBefore = tree.size
        rows.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity * 64)
        canonical.reserveCapacity(512)
    }

    /// Rows in the batch.
    public var count: Int { rows.count }

    /// A salt to store with this batch (for a participant none of the stored salts covers).
    public mutating func addSalt(_ salt: [UInt8], for participant: String) {
        newSalts.append((participant, salt))
    }

    /// Adds an accepted measurement and computes its leaf hash over
    /// `MeasurementContent.appendCanonical` of exactly these column bytes and the salt.
    /// - parameters:
    ///   - file: the index of the source file (the writer's table of file and artifact names).
    ///   - saltHex: the participant's salt, lowercase hex.
    /// - returns: the record's leaf hash.
    @discardableResult
    public mutating func append(participant: UnsafeRawBufferPointer, site: UnsafeRawBufferPointer, visit: UnsafeRawBufferPointer,
                                item: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, unit: UnsafeRawBufferPointer?,
                                collectedAt: UnsafeRawBufferPointer, saltHex: UnsafeRawBufferPointer, file: Int, line: Int) -> TreeHash {
        func put(_ field: UnsafeRawBufferPointer) -> UInt32 {
            let start = UInt32(bytes.count)
            bytes.append(contentsOf: field)
            return start
        }
        let p = put(participant), s = put(site), v = put(visit), i = put(item), va = put(value)
        let u = put(unit ?? UnsafeRawBufferPointer(start: nil, count: 0)), c = put(collectedAt)
        canonical.removeAll(keepingCapacity: true)
        MeasurementContent.appendCanonical(participant: participant, site: site, visit: visit, item: item, value: value,
                                           unit: unit, collectedAt: collectedAt, saltHex: saltHex, to: &canonical)
        let leaf = RFC6962.leafHash(canonical)
        tree.append(leaf) { if RecordTiles.isStored(level: $0.level) { tiles.append($0) } }
        rows.append(Row(offsets: (p, s, v, i, va, u, c, UInt32(bytes.count)), hasUnit: unit != nil, file: Int32(file), line: Int64(line), leaf: leaf))
        return leaf
    }

    /// A stored row's columns, valid only inside `forEachRow`.
    struct Columns {
        var participant, site, visit, item, value, collectedAt: UnsafeRawBufferPointer
        var unit: UnsafeRawBufferPointer?
        var file: Int
        var line: Int64
        var leaf: TreeHash
    }

    /// Calls `body` with each row's columns, in order.
    func forEachRow(_ body: (Columns) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { buffer in
            for row in rows {
                let o = row.offsets
                func slice(_ from: UInt32, _ to: UInt32) -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(rebasing: buffer[Int(from)..<Int(to)])
                }
                try body(Columns(participant: slice(o.0, o.1), site: slice(o.1, o.2), visit: slice(o.2, o.3), item: slice(o.3, o.4),
                                 value: slice(o.4, o.5), collectedAt: slice(o.6, o.7), unit: row.hasUnit ? slice(o.5, o.6) : nil,
                                 file: Int(row.file), line: row.line, leaf: row.leaf))
            }
        }
    }
}
