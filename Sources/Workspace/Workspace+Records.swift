import Attestation
import Foundation
import GRDB
import MerkleLog

/// An accepted record as stored: its columns, its leaf hash, and (on request) its canonical bytes.
public struct StoredRecord: Sendable, Equatable {
    /// The record's id, unique in the workspace.
    public let id: Int64
    public let runID: Int64
    public let artifact: String
    public let participant: String
    public let site: String?
    public let visit: String?
    public let item: String?
    public let value: String?
    public let observedAt: String?
    public let leafHash: TreeHash
    /// `{"record":…,"salt":"…"}` (RFC 8785); `nil` unless asked for, or when an erasure removed it.
    public let canonical: [UInt8]?
}

/// A stage run whose records are current for some artifacts, with the root its attestation names.
public struct RecordRun: Sendable, Equatable {
    public let runID: Int64
    public let stage: String
    public let recordRoot: TreeHash
    public let recordCount: Int
}

extension Workspace {
    /// The current records of every artifact whose name starts with `prefix`: for each artifact,
    /// those of the latest run that recorded it (a re-run of a stage records its artifacts anew).
    /// Calls `body` for each record in id order (or, with `byParticipant`, grouped by participant in
    /// the byte order of their UTF-8 ids, then by id) and returns the runs they came from, by id.
    ///
    /// With `among`, only those runs are considered: the records as they were current when a
    /// contract that read those runs ran (re-execution).
    /// `limit: 0` names the runs without reading a record.
    public func forEachCurrentRecord(prefix: String, withCanonical: Bool = false, among runs: Set<Int64>? = nil, byParticipant: Bool = false,
                                     limit: Int? = nil, _ body: (StoredRecord) throws -> Void) throws -> [RecordRun] {
        try read { ledger in
            let db = ledger.db
            let upper = prefix + "\u{10FFFF}"
            let restriction = runs.map { " AND run_id IN (\($0.sorted().map(String.init).joined(separator: ",")))" } ?? ""
            // A run's sources name the artifacts it recorded: the current source of each artifact is its latest run's.
            let current = """
                SELECT s.id FROM record_sources s
                JOIN (SELECT artifact, max(run_id) AS run_id FROM record_sources WHERE artifact >= ? AND artifact < ?\(restriction) GROUP BY artifact) c
                  ON s.artifact = c.artifact AND s.run_id = c.run_id
                """
            let latest = try Int64.fetchAll(db, sql: "SELECT DISTINCT run_id FROM record_sources WHERE id IN (\(current))", arguments: [prefix, upper])
            var result: [RecordRun] = []
            for runID in latest.sorted() {
                guard let row = try Row.fetchOne(db, sql: "SELECT stage, record_root, record_count FROM stage_runs WHERE id = ?", arguments: [runID]),
                      let root = TreeHash(bytes: row["record_root"] as Data) else {
                    throw WorkspaceError.ledgerInconsistent("stage run \(runID) has records but no valid run row")
                }
                result.append(RecordRun(runID: runID, stage: row["stage"], recordRoot: root, recordCount: row["record_count"]))
            }
            let columns = "r.id, r.run_id, f.artifact, r.participant, r.site, r.visit, r.item, r.value, r.observed_at, r.leaf_hash"
                + (withCanonical ? ", r.unit, r.canonical, (SELECT salt FROM participant_salts s WHERE s.participant = r.participant) AS salt" : "")
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT \(columns) FROM record_rows r JOIN record_sources f ON f.id = r.source_id
                WHERE r.source_id IN (\(current))
                ORDER BY \(byParticipant ? "r.participant, r.id" : "r.id") LIMIT ?
                """, arguments: [prefix, upper, limit ?? -1])
            // Columns by position, the leaf hash copied straight from SQLite's buffer: a contract
            // reads a million rows here, and lookups by name cost a tenth of its time.
            while let row = try cursor.next() {
                let leaf = try row.withUnsafeData(atIndex: 9) { data in
                    data.flatMap { $0.count == TreeHash.byteCount ? $0.withUnsafeBytes { TreeHash(copying: $0) } : nil }
                }
                guard let leaf else { throw WorkspaceError.ledgerInconsistent("record \(row[0] as Int64) has a malformed leaf hash") }
                try body(StoredRecord(id: row[0], runID: row[1], artifact: row[2], participant: row[3], site: row[4],
                                      visit: row[5], item: row[6], value: row[7], observedAt: row[8],
                                      leafHash: leaf, canonical: withCanonical ? Workspace.canonicalBytes(row) : nil))
            }
            return result
        }
    }
}

/// A stage run as stored: its attestation entry and its record range.
public struct StageRunInfo: Sendable, Equatable {
    public let id: Int64
    public let stage: String
    public let kind: String
    public let entryIndex: UInt64
    public let firstRecord: Int64
    public let recordCount: Int
    public let recordRoot: TreeHash
}

extension Workspace {
    static func storedRecord(_ row: Row) throws -> StoredRecord {
        guard let leaf = TreeHash(bytes: row["leaf_hash"] as Data) else {
            throw WorkspaceError.ledgerInconsistent("record \(row["id"] as Int64) has a malformed leaf hash")
        }
        return StoredRecord(id: row["id"], runID: row["run_id"], artifact: row["artifact"], participant: row["participant"], site: row["site"],
                            visit: row["visit"], item: row["item"], value: row["value"], observedAt: row["observed_at"], leafHash: leaf,
                            canonical: canonicalBytes(row))
    }

    /// Columns for `storedRecord`, with the participant's salt for rebuilding a measurement's bytes.
    static let recordColumns = """
        id, run_id, artifact, participant, site, visit, item, value, unit, observed_at, leaf_hash, canonical,
        (SELECT salt FROM participant_salts s WHERE s.participant = records.participant) AS salt
        """

    /// A stored record's canonical bytes: the stored copy, or for a measurement (stored without a
    /// copy, with a value) the bytes `MeasurementContent` rebuilds from its columns and salt.
    /// Nil for a record whose content an erasure removed (or that cannot be rebuilt).
    static func canonicalBytes(_ row: Row) -> [UInt8]? {
        if let stored = row["canonical"] as Data? { return Array(stored) }
        return measurementCanonical(participant: row["participant"], site: row["site"], visit: row["visit"], item: row["item"],
                                    value: row["value"], unit: row["unit"], observedAt: row["observed_at"], salt: row["salt"])
    }

    /// The canonical bytes of a measurement record rebuilt from its columns and its participant's
    /// salt; nil when a column it needs is missing (erased, or not a measurement).
    static func measurementCanonical(participant: String, site: String?, visit: String?, item: String?, value: String?,
                                     unit: String?, observedAt: String?, salt: Data?) -> [UInt8]? {
        guard let site, let visit, let item, let value, let observedAt, let salt, salt.count == 32 else { return nil }
        return MeasurementContent.canonical(participant: participant, site: site, visit: visit, item: item, value: value, unit: unit,
                                            collectedAt: observedAt, saltHex: Hex.encode(Array(salt)))
    }

    /// Records of a participant, optionally at a visit and of an item, by id (with canonical bytes).
    public func records(participant: String, visit: String? = nil, item: String? = nil, limit: Int = 1000) throws -> [StoredRecord] {
        try read { ledger in
            try Row.fetchAll(ledger.db, sql: """
                SELECT \(Workspace.recordColumns) FROM records
                WHERE participant = ? AND (? IS NULL OR visit = ?) AND (? IS NULL OR item = ?) ORDER BY id LIMIT ?
                """, arguments: [participant, visit, visit, item, item, limit]).map(Workspace.storedRecord)
        }
    }

    /// The record with an id (with canonical bytes), if any.
    public func record(id: Int64) throws -> StoredRecord? {
        try read { ledger in
            try Row.fetchOne(ledger.db, sql: "SELECT \(Workspace.recordColumns) FROM records WHERE id = ?", arguments: [id]).map(Workspace.storedRecord)
        }
    }

    /// Every stage run, in order.
    public func stageRuns() throws -> [StageRunInfo] {
        try read { ledger in
            try Row.fetchAll(ledger.db, sql: "SELECT id, stage, kind, entry_idx, first_record, record_count, record_root FROM stage_runs ORDER BY id")
                .map(Workspace.stageRunInfo)
        }
    }

    static func stageRunInfo(_ row: Row) -> StageRunInfo {
        StageRunInfo(id: row["id"], stage: row["stage"], kind: row["kind"], entryIndex: UInt64(row["entry_idx"] as Int64),
                     firstRecord: row["first_record"], recordCount: row["record_count"],
                     recordRoot: TreeHash(bytes: row["record_root"] as Data) ?? .zero)
    }

    /// A stage run by id.
    public func stageRun(id: Int64) throws -> StageRunInfo? {
        try read { ledger in
            try Row.fetchOne(ledger.db, sql: "SELECT id, stage, kind, entry_idx, first_record, record_count, record_root FROM stage_runs WHERE id = ?",
                             arguments: [id]).map(Workspace.stageRunInfo)
        }
    }

    /// An RFC 9162 inclusion proof of record `index` in a run's record tree, read from its stored
    /// tiles (O(log n) rows; right-edge nodes not in a tile are hashed from the leaves).
    /// - throws: `WorkspaceError.outOfRange` for an index past the tree.
    public func recordInclusionProof(run: StageRunInfo, index: UInt64) throws -> [TreeHash] {
        try read { ledger in
            let size = UInt64(run.recordCount)
            guard index < size else { throw WorkspaceError.outOfRange("record \(index) lies past stage run \(run.id)'s \(size) records") }
            let source = StoredNodeSource(ledger.db, size: size, tree: .records(run: run.id, firstRecord: run.firstRecord))
            return try MerkleProofs.inclusionProof(index: index, size: size, source: source)
        }
    }

    /// The leaf hashes of a run's records, in tree order.
    public func recordLeafHashes(of run: StageRunInfo) throws -> [TreeHash] {
        try read { ledger in
            try Data.fetchAll(ledger.db, sql: "SELECT leaf_hash FROM record_rows WHERE id >= ? AND id < ? ORDER BY id",
                              arguments: [run.firstRecord, run.firstRecord + Int64(run.recordCount)]).map { TreeHash(bytes: $0) ?? .zero }
        }
    }
}

extension Workspace {
    /// The attestation of the stage run that created an artifact version, with its entry index.
    public func attestation(creating version: ArtifactVersion) throws -> (entryIndex: UInt64, statement: InTotoStatement)? {
        guard let index = try read({ ledger in
            try Int64.fetchOne(ledger.db, sql: """
                SELECT s.entry_idx FROM stage_artifacts a JOIN stage_runs s ON s.id = a.run_id WHERE a.name = ? AND a.version = ?
                """, arguments: [version.name, version.version])
        }) else { return nil }
        let entry = try read { try $0.entry(UInt64(index)) }
        return (UInt64(index), try expanded(DSSEEnvelope(parsing: entry.entry).statement(), index: UInt64(index)))
    }
}

extension Workspace {
    /// Writes a consistent copy of the database to `url` through SQLite's online backup API,
    /// while the workspace stays usable.
    public func snapshot(to url: URL) throws {
        try Workspace.translate(layout) {
            let destination = try DatabaseQueue(path: url.path)
            try pool.backup(to: destination)
            try destination.close()
        }
    }

    /// The digests of every blob the workspace recorded in its object store, sorted.
    public func objectDigests() throws -> [String] {
        try read { ledger in try String.fetchAll(ledger.db, sql: "SELECT sha256 FROM objects ORDER BY sha256") }
    }
}

/// A search of one stage run's records (the explorer's stage-run page).
public struct RecordQuery: Sendable {
    public var run: Int64
    public var participant: String?
    public var visit: String?
    public var item: String?
    /// Only records of this site (a `site:<id>` reader).
    public var site: String?
    public var offset: Int
    public var limit: Int

    public init(run: Int64, participant: String? = nil, visit: String? = nil, item: String? = nil, site: String? = nil, offset: Int = 0, limit: Int = 100) {
        (self.run, self.participant, self.visit, self.item, self.site, self.offset, self.limit) = (run, participant, visit, item, site, offset, limit)
    }
}

extension Workspace {
    /// The records of a run that match, by id, and how many match in all.
    public func searchRecords(_ query: RecordQuery) throws -> (total: Int, records: [StoredRecord]) {
        try read { ledger in
            let filter = """
                WHERE run_id = ? AND (? IS NULL OR participant = ?) AND (? IS NULL OR visit = ?) AND (? IS NULL OR item = ?) AND (? IS NULL OR site = ?)
                """
            let arguments: StatementArguments = [query.run, query.participant, query.participant, query.visit, query.visit, query.item, query.item, query.site, query.site]
            let total = try Int.fetchOne(ledger.db, sql: "SELECT count(*) FROM records \(filter)", arguments: arguments) ?? 0
            let records = try Row.fetchAll(ledger.db, sql: "SELECT \(Workspace.recordColumns) FROM records \(filter) ORDER BY id LIMIT ? OFFSET ?",
                                           arguments: arguments + [max(0, query.limit), max(0, query.offset)]).map(Workspace.storedRecord)
            return (total, records)
        }
    }
}
