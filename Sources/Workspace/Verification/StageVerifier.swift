import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog

/// What the stage check covered.
public struct StageReport: Sendable, Equatable {
    public var runs = 0
    public var records = 0
    public var artifacts = 0
    /// Blobs in the object store (source files, signed documents, contracts, artifacts) re-hashed.
    public var blobs = 0
    /// Erased participants, with their blanked records and their destroyed or redacted blobs.
    public var erasures: [String] = []
    public var blankedRecords = 0
    public var erasedBlobs = 0
}

/// Checks every stage run from its attestation outward: one `stage_runs` row per stage entry and
/// none other, every column equal to what the attestation says; each record's canonical bytes
/// (stored, or for a measurement rebuilt from its columns and salt) hash to its stored leaf hash,
/// the records' tree gives the attested `recordRoot` and `recordCount`, their ids start at
/// `firstRecord`, their lines hash to `recordLines`; each source row names its artifact's source
/// file with its record count; rejects match `rejectCount` and `rejectDigest`; each artifact's
/// blob has the digest the attestation names.
struct StageVerifier {
    let db: Database
    let objects: ObjectStore
    let facts: LedgerFacts

    /// Blobs the stage entries and their records name: digest → (what it is, the time of the
    /// first entry that names it, that entry's index).
    typealias Implied = [String: (name: String, time: String, index: UInt64)]

    func verify() throws -> (StageReport, Implied) {
        var report = StageReport()
        var implied: Implied = [:]
        func imply(_ sha256: String, _ name: String, _ time: String, _ index: UInt64) {
            if let known = implied[sha256], known.index <= index { return }
            implied[sha256] = (name, time, index)
        }
        var runRoots: [Int64: String] = [:]
        var allTiles = 0
        let erased = Set(facts.erasures.map(\.participant))
        report.erasures = facts.erasures.map(\.participant)
        let replaced = facts.erasedObjects
        report.erasedBlobs = replaced.count
        var saltHex: [String: [UInt8]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT participant, salt FROM participant_salts") {
            saltHex[row["participant"]] = Array(Hex.encode(Array(row["salt"] as Data)).utf8)
        }
        let ledger = LedgerStore(db)
        var ordinal: Int64 = 0
        var nextRecord: Int64 = 1
        for entryIndex in facts.stageEntries {
            ordinal += 1
            guard let run = try Row.fetchOne(db, sql: """
                SELECT id, stage, kind, input_key, entry_idx, first_record, record_count, record_root, reject_count, reason, started_at, ended_at
                FROM stage_runs WHERE entry_idx = ?
                """, arguments: [Int64(entryIndex)]) else {
                throw IntegrityFailure.stageMismatch(run: ordinal, stage: "entry \(entryIndex)",
                    reason: "its attestation is ledger entry \(entryIndex), but the workspace holds no stage run for it: the run, its records and rejects were deleted")
            }
            let runID: Int64 = run["id"], stage: String = run["stage"]
            let entry = try ledger.entry(entryIndex)
            var statement: InTotoStatement
            do {
                statement = try DSSEEnvelope(parsing: entry.entry).statement()
            } catch {
                throw IntegrityFailure.attestationInvalid(index: entryIndex, reason: "\(error)")
            }
            // A stage of many files signs a manifest of its lists: read it as if inline.
            statement = try StageManifest.expand(statement, index: entryIndex, objects: objects)
            let attestedRoot = statement.predicate["recordRoot"]?.stringValue ?? ""
            let attestedCount = statement.predicate["recordCount"]?.integerValue ?? -1
            let storedRoot: Data = run["record_root"]
            guard Hex.encode(storedRoot) == attestedRoot, Int64(run["record_count"] as Int) == attestedCount else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "its stored record root or count differs from the attestation (entry \(entryIndex))")
            }
            try checkColumns(run, statement, ordinal: ordinal, firstRecord: nextRecord)
            nextRecord += attestedCount
            try checkRejects(runID: runID, stage: stage, statement)
            runRoots[runID] = attestedRoot
            // What the run names: its outputs, its inputs (files and earlier artifacts, or the
            // record trees of earlier runs), its contract file.
            let startedAt = statement.predicate["startedAt"]?.stringValue ?? ""
            for subject in statement.subjects { imply(subject.sha256, subject.name, startedAt, entryIndex) }
            for material in statement.predicate["materials"]?.arrayValue ?? [] {
                guard let name = material["name"]?.stringValue, let digest = material["digest"]?["sha256"]?.stringValue else { continue }
                if name.hasPrefix("records of run "), let number = Int64(name.dropFirst("records of run ".count).prefix { $0.isNumber }) {
                    guard runRoots[number] == digest else {
                        throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "it names \(name) with record root \(digest.prefix(12))…, which is not that run's attested root")
                    }
                    continue
                }
                imply(digest, "input \(name) of stage run \(runID)", startedAt, entryIndex)
            }
            if let contract = statement.predicate["contract"]?["digest"]?["sha256"]?.stringValue {
                imply(contract, "contract file of stage run \(runID)", startedAt, entryIndex)
            }
            // The run's records are filed under artifacts its attestation signs (contracts read
            // records by artifact), each through one of the run's own source rows, in file order,
            // each named like its artifact's source and holding the artifact's record count.
            let subjectOrder = Dictionary(statement.subjects.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
            // An artifact comes from one source file, so a run files it under one source row.
            var sourceOrder: [Int64: Int] = [:]
            var expectedCount: [Int64: Int64] = [:]
            var filed: Set<String> = []
            var lastPosition = -1
            var inputs: [String: String] = [:]
            for material in statement.predicate["materials"]?.arrayValue ?? [] {
                if let name = material["name"]?.stringValue { inputs[name] = material["digest"]?["sha256"]?.stringValue }
            }
            for source in try Row.fetchAll(db, sql: "SELECT id, artifact, source_file FROM record_sources WHERE run_id = ? ORDER BY id", arguments: [runID]) {
                let artifact: String = source["artifact"], sourceFile: String = source["source_file"], id: Int64 = source["id"]
                guard let position = subjectOrder[artifact], filed.insert(artifact).inserted else {
                    throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                        reason: "its records are filed under artifact \(artifact), which its attestation (entry \(entryIndex)) does not name once")
                }
                guard position > lastPosition else {
                    throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "its source rows are not in the order of its files")
                }
                lastPosition = position
                sourceOrder[id] = sourceOrder.count
                let subject = statement.subjects[position]
                // (A missing or altered artifact blob is named by the object check.)
                let readable = try? Workspace.readable(ArtifactVersion(name: artifact, version: 0, sha256: subject.sha256),
                                                       erased: replaced[subject.sha256], in: objects)
                if let bytes = readable ?? nil, let json = try? JSONValue.parse(bytes), let made = json["source"]?["sha256"]?.stringValue {
                    // The file named is one of the run's inputs, with the content the artifact was made from.
                    guard inputs[sourceFile] == made else {
                        throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                            reason: "its records of \(artifact) are filed as coming from \(sourceFile), which is not the input file that artifact was made from")
                    }
                    if let count = json["records"]?.integerValue {
                        expectedCount[id] = count
                    } else if let consents = json["consents"]?.arrayValue {
                        expectedCount[id] = Int64(consents.count)
                    }
                }
            }
            var frontier = TileAppender()
            // The run's record tiles are derived: each full tile the leaves complete must be
            // stored as computed, and so must the finished tree's right edge; nothing else.
            let storedTile = try db.cachedStatement(sql: "SELECT hashes FROM record_tiles WHERE run_id = ? AND level = ? AND idx = ? AND width = ?")
            var tilesChecked = 0
            func checkTile(_ tile: Tile) throws {
                let data = try Data.fetchOne(storedTile, arguments: [runID, tile.level, Int64(tile.index), tile.width])
                // Level 0 is the leaf hashes themselves: not stored since this build, checked where an older one stored it.
                if data == nil, !RecordTiles.isStored(level: tile.level) { return }
                guard let data, Array(data) == RecordTiles.baseBytes(tile) else {
                    throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                        reason: "its record tree's tile \(tile.path) is missing or differs from the one its records give")
                }
                tilesChecked += 1
            }
            var lines = RecordLines()
            var currentSource: Int64 = -1
            var counted: [Int64: Int64] = [:]
            // The run's records are the id range first_record ..< first_record + record_count.
            let first: Int64 = run["first_record"]
            let records = try RawStatement(db, sql: """
                SELECT r.id, r.leaf_hash, r.canonical, coalesce(s.source_file, '?'), r.source_line, r.run_id, r.participant, r.canonical IS NULL,
                       r.value IS NULL, r.site, r.visit, r.item, r.value, r.unit, r.observed_at,
                       r.site IS NULL OR r.visit IS NULL OR r.item IS NULL OR r.observed_at IS NULL, r.unit IS NULL, r.source_id,
                       r.source_line IS NULL
                FROM record_rows r LEFT JOIN record_sources s ON s.id = r.source_id WHERE r.id >= ? AND r.id < ? ORDER BY r.id
                """)
            records.bind(1, first)
            records.bind(2, first + attestedCount)
            var rebuilt: [UInt8] = []
            while try records.step() {
                let index = records.int64(0) - first
                let leafBytes = records.blob(1)
                guard index == Int64(frontier.size), leafBytes.count == 32, records.int64(5) == runID else {
                    throw IntegrityFailure.recordAltered(run: runID, stage: stage, record: Int(frontier.size), location: "record missing or renumbered")
                }
                let leaf = TreeHash(copying: leafBytes)
                /// A measurement's canonical bytes from this row's columns and the salt, into `rebuilt`.
                func rebuild(_ salt: [UInt8]) {
                    rebuilt.removeAll(keepingCapacity: true)
                    salt.withUnsafeBytes { saltBytes in
                        MeasurementContent.appendCanonical(participant: records.text(6), site: records.text(9), visit: records.text(10), item: records.text(11),
                                                           value: records.text(12), unit: records.int64(16) == 1 ? nil : records.text(13),
                                                           collectedAt: records.text(14), saltHex: saltBytes, to: &rebuilt)
                    }
                }
                func altered(_ detail: String = "") -> IntegrityFailure {
                    let file = records.string(3)
                    let line = records.int64(4)
                    return .recordAltered(run: runID, stage: stage, record: Int(index), location: "\(file)\(line > 0 ? ":\(line)" : "")\(detail)")
                }
                let source = records.int64(17)
                guard let order = sourceOrder[source] else { throw altered(": its artifact and source file are not one of its run's") }
                if source != currentSource {
                    guard currentSource == -1 || order > sourceOrder[currentSource]! else { throw altered(": it is filed under a file before the one of the record before it") }
                    currentSource = source
                }
                counted[source, default: 0] += 1
                lines.append(records.int64(18) == 1 ? 0 : records.int64(4))
                if records.int64(7) == 0 {
                    let stored = records.blob(2)
                    guard RFC6962.leafHash(stored).constantTimeEquals(leaf) else { throw altered() }
                    // The columns (what contracts read) must say what the hashed bytes say.
                    if records.int64(8) == 0 {
                        guard let salt = saltHex[records.string(6)], records.int64(15) == 0 else { throw altered(": its columns were changed") }
                        rebuild(salt)
                        guard rebuilt.elementsEqual(stored) else { throw altered(": its columns were changed") }
                    } else {
                        let content = (try? JSONValue.parse(stored))?["record"]
                        guard content?["participant"]?.stringValue == records.string(6) else { throw altered(": its participant column was changed") }
                        // A consent: its time column is its signing time; it has no measurement columns.
                        if content?["kind"]?.stringValue == "consent" {
                            if let document = content?["document"]?["sha256"]?.stringValue {
                                imply(document, "signed document of \(records.string(6)) (\(records.string(3)))", startedAt, entryIndex)
                            }
                            guard !records.isNull(14), records.string(14) == content?["signedAt"]?.stringValue, records.isNull(9),
                                  records.isNull(10), records.isNull(11), records.int64(16) == 1 else {
                                throw altered(": its columns were changed")
                            }
                        }
                    }
                } else if records.int64(8) == 0 {
                    // A measurement: its canonical bytes are its columns and its participant's salt.
                    let participant = records.string(6)
                    guard records.int64(15) == 0, let salt = saltHex[participant] else {
                        throw altered(erased.contains(participant) ? ": its participant was erased, but its content was not removed"
                                                                   : ": a column its content needs is missing, or its participant's salt")
                    }
                    rebuild(salt)
                    guard RFC6962.leafHash(rebuilt).constantTimeEquals(leaf) else { throw altered() }
                } else {
                    // Blank content is an erasure's doing, and only an erasure's.
                    guard erased.contains(records.string(6)) else {
                        throw IntegrityFailure.recordAltered(run: runID, stage: stage, record: Int(index),
                                                             location: "\(records.string(3)): its content was removed, but its participant was never erased")
                    }
                    report.blankedRecords += 1
                }
                try frontier.append(leaf, emit: checkTile)
            }
            guard frontier.root.hex == attestedRoot, Int64(frontier.size) == attestedCount else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                    reason: "its \(frontier.size) stored records give root \(frontier.root.hex), but the attestation (entry \(entryIndex)) signs \(attestedCount) records with root \(attestedRoot): records were added, removed or altered")
            }
            for tile in frontier.partialTiles { try checkTile(tile) }
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM record_tiles WHERE run_id = ?", arguments: [runID]) == tilesChecked else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "it has record tiles its records do not give: a tile was added")
            }
            report.records += Int(frontier.size)
            allTiles += tilesChecked
            for (source, count) in expectedCount where counted[source, default: 0] != count {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                    reason: "\(counted[source, default: 0]) of its records are filed under one of its files, whose artifact counts \(count): records were moved between files")
            }
            if let attestedLines = statement.predicate["recordLines"]?.stringValue, lines.digest != attestedLines {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "its records' source lines differ from the ones its attestation (entry \(entryIndex)) signs")
            }
            let claimed = try Int64.fetchOne(db, sql: "SELECT count(*) FROM records WHERE id >= ? AND id < ?", arguments: [first, first + attestedCount]) ?? 0
            guard claimed == attestedCount else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "records were removed from its range")
            }
            // The versions index (what `latestArtifact` serves) is exactly what the attestation says.
            let versions = statement.predicate["artifactVersions"]?.arrayValue ?? []
            let stored = try Row.fetchAll(db, sql: "SELECT name, version, sha256 FROM stage_artifacts WHERE run_id = ? ORDER BY name", arguments: [runID])
            guard stored.count == versions.count else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "it has \(stored.count) artifact versions stored, but its attestation (entry \(entryIndex)) creates \(versions.count)")
            }
            // Looked up, not searched: a consents stage of 100,000 files has as many of each.
            var signedVersions: [String: Set<Int64>] = [:]
            for version in versions {
                if let name = version["name"]?.stringValue, let number = version["version"]?.integerValue { signedVersions[name, default: []].insert(number) }
            }
            var signedDigests: [String: Set<String>] = [:]
            for subject in statement.subjects { signedDigests[subject.name, default: []].insert(subject.sha256) }
            for row in stored {
                let name: String = row["name"], version: Int64 = row["version"], digest: String = row["sha256"]
                guard signedVersions[name]?.contains(version) == true, signedDigests[name]?.contains(digest) == true else {
                    throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                        reason: "artifact \(name) v\(version) is stored with sha256 \(digest.prefix(12))…, which its attestation (entry \(entryIndex)) does not sign")
                }
            }
            for subject in statement.subjects {
                if let copy = replaced[subject.sha256] {
                    // Erased: its redacted copy (if any) is checked with the other blobs below.
                    if let copy, !objects.contains(copy) { throw IntegrityFailure.objectMissing(name: "redacted copy of \(subject.name)", sha256: copy) }
                    report.artifacts += 1
                    continue
                }
                // Its bytes are hashed once, with every blob the entries name (`checkObjects`): an
                // output at 17M records is over a gigabyte.
                guard objects.contains(subject.sha256) else {
                    throw IntegrityFailure.objectMissing(name: subject.name, sha256: subject.sha256)
                }
                report.artifacts += 1
            }
            report.runs += 1
        }
        // Every stored record belongs to some run's attested range: none was slipped in.
        let attested = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(record_count), 0) FROM stage_runs") ?? 0
        let stored = try Int64.fetchOne(db, sql: "SELECT count(*) FROM record_rows") ?? 0
        guard stored == attested else {
            throw IntegrityFailure.stageMismatch(run: 0, stage: "(all)", reason: "\(stored) records are stored but the attestations account for \(attested): records were added")
        }
        guard try Int.fetchOne(db, sql: "SELECT count(*) FROM stage_runs") == facts.stageEntries.count else {
            let extra = try Int64.fetchOne(db, sql: "SELECT id FROM stage_runs ORDER BY id DESC LIMIT 1") ?? 0
            throw IntegrityFailure.rowUnexpected(table: "stage_runs", row: "\(extra)", reason: "no stage entry of the ledger is its attestation")
        }
        guard try Int.fetchOne(db, sql: "SELECT count(*) FROM record_tiles") == allTiles else {
            throw IntegrityFailure.rowUnexpected(table: "record_tiles", row: "of no stage run", reason: "record tiles that no run's records give were added")
        }
        let rejects = try Int64.fetchOne(db, sql: "SELECT count(*) FROM rejects") ?? 0
        let attestedRejects = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(reject_count), 0) FROM stage_runs") ?? 0
        guard rejects == attestedRejects else {
            throw IntegrityFailure.rowUnexpected(table: "rejects", row: "\(rejects - attestedRejects) rows", reason: "rejects of no stage run were added")
        }
        try checkVersionNumbers()
        return (report, implied)
    }
}

extension StageVerifier {
    /// Every `stage_runs` column against the attestation: id (runs are numbered in ledger order),
    /// stage, kind, input key, first record, reject count, reason and times.
    func checkColumns(_ run: Row, _ statement: InTotoStatement, ordinal: Int64, firstRecord: Int64) throws {
        let runID: Int64 = run["id"], stage: String = run["stage"], entryIndex: Int64 = run["entry_idx"]
        let predicate = statement.predicate
        func fail(_ column: String) -> IntegrityFailure {
            .stageMismatch(run: runID, stage: stage, reason: "its \(column) column differs from its attestation (entry \(entryIndex))")
        }
        guard runID == ordinal else { throw fail("id") }
        guard stage == predicate["stage"]?.stringValue else { throw fail("stage") }
        guard run["kind"] == predicate["kind"]?.stringValue else { throw fail("kind") }
        guard run["first_record"] == firstRecord, predicate["firstRecord"].map({ $0.integerValue == firstRecord }) ?? true else { throw fail("first_record") }
        guard Int64(run["reject_count"] as Int) == predicate["rejectCount"]?.integerValue else { throw fail("reject_count") }
        guard run["reason"] as String? == predicate["reason"]?.stringValue else { throw fail("reason") }
        guard run["started_at"] == predicate["startedAt"]?.stringValue else { throw fail("started_at") }
        guard run["ended_at"] == predicate["endedAt"]?.stringValue else { throw fail("ended_at") }
        guard run["input_key"] == StageVerifier.inputKey(of: statement) else { throw fail("input_key") }
    }

    /// The "unchanged" key of a run, recomputed from what its attestation says.
    static func inputKey(of statement: InTotoStatement) -> String {
        let predicate = statement.predicate
        var value: [String: JSONValue] = [
            "kind": predicate["kind"] ?? .null,
            "materials": .array((predicate["materials"]?.arrayValue ?? []).map {
                ["name": $0["name"] ?? .null, "sha256": $0["digest"]?["sha256"] ?? .null]
            }),
            "parameters": predicate["parameters"] ?? .null,
        ]
        if let contract = predicate["contract"] {
            value["contract"] = ["name": contract["name"] ?? .null, "sha256": contract["digest"]?["sha256"] ?? .null]
        }
        return Hex.encode(SHA256.hash(data: CanonicalJSON.encode(.object(value))))
    }

    /// The run's rejects: as many as `rejectCount`, and (for runs that sign it) with the content
    /// `rejectDigest` hashes.
    func checkRejects(runID: Int64, stage: String, _ statement: InTotoStatement) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT file, line, field, reason, raw FROM rejects WHERE run_id = ? ORDER BY rowid", arguments: [runID])
        guard Int64(rows.count) == statement.predicate["rejectCount"]?.integerValue else {
            throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                reason: "\(rows.count) rejects are stored, but its attestation counts \(statement.predicate["rejectCount"]?.integerValue ?? -1): rejects were deleted or added")
        }
        guard let attested = statement.predicate["rejectDigest"]?.stringValue else { return }
        var hasher = SHA256()
        for row in rows {
            hasher.update(data: StageWriter.rejectLine(StageReject(file: row["file"], line: row["line"], field: row["field"], reason: row["reason"], raw: row["raw"])))
        }
        guard Hex.encode(hasher.finalize()) == attested else {
            throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "its rejects differ from the ones its attestation signs: a reject was rewritten")
        }
    }

    /// Each artifact's versions are 1, 2, 3, … in the order of the runs that made them.
    func checkVersionNumbers() throws {
        var last: (name: String, version: Int64, run: Int64)?
        for row in try Row.fetchAll(db, sql: "SELECT name, version, run_id FROM stage_artifacts ORDER BY name, version") {
            let name: String = row["name"], version: Int64 = row["version"], run: Int64 = row["run_id"]
            let expected: Int64 = last?.name == name ? last!.version + 1 : 1
            guard version == expected, last?.name != name || run > last!.run else {
                throw IntegrityFailure.rowUnexpected(table: "stage_artifacts", row: "\(name) v\(version)", reason: "versions are not numbered 1, 2, 3, … in the order of their runs")
            }
            last = (name, version, run)
        }
    }
}
