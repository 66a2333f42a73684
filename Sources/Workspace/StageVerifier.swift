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

/// Checks every stage run against its attestation: each record's canonical bytes (stored, or for
/// a measurement rebuilt from its columns and salt) hash to its stored leaf hash, the records' tree gives the attested `recordRoot` and `recordCount`, and
/// each artifact's blob in the object store has the digest the attestation names.
struct StageVerifier {
    let db: Database
    let objects: ObjectStore

    func verify() throws -> StageReport {
        var report = StageReport()
        let erased = Set(try String.fetchAll(db, sql: "SELECT participant FROM erasures"))
        report.erasures = try String.fetchAll(db, sql: "SELECT participant FROM erasures ORDER BY entry_idx")
        var replaced: [String: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sha256, replaced_by FROM erased_objects") { replaced[row["sha256"]] = row["replaced_by"] as String? }
        report.erasedBlobs = replaced.count
        var saltHex: [String: [UInt8]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT participant, salt FROM participant_salts") {
            saltHex[row["participant"]] = Array(Hex.encode(Array(row["salt"] as Data)).utf8)
        }
        let runs = try Row.fetchAll(db, sql: "SELECT id, stage, entry_idx, first_record, record_count, record_root FROM stage_runs ORDER BY id")
        let ledger = LedgerStore(db)
        for run in runs {
            let runID: Int64 = run["id"], stage: String = run["stage"]
            let entryIndex = UInt64(run["entry_idx"] as Int64)
            let entry = try ledger.entry(entryIndex)
            let statement: InTotoStatement
            do {
                statement = try DSSEEnvelope(parsing: entry.entry).statement()
            } catch {
                throw IntegrityFailure.attestationInvalid(index: entryIndex, reason: "\(error)")
            }
            let attestedRoot = statement.predicate["recordRoot"]?.stringValue ?? ""
            let attestedCount = statement.predicate["recordCount"]?.integerValue ?? -1
            let storedRoot: Data = run["record_root"]
            guard Hex.encode(storedRoot) == attestedRoot, Int64(run["record_count"] as Int) == attestedCount else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage, reason: "its stored record root or count differs from the attestation (entry \(entryIndex))")
            }
            // The run's records are filed under artifacts its attestation signs (contracts read
            // records by artifact), each through one of the run's own source rows.
            let subjects = Set(statement.subjects.map(\.name))
            // An artifact comes from one source file, so a run files it under one source row.
            var sources: Set<Int64> = []
            var filed: Set<String> = []
            for source in try Row.fetchAll(db, sql: "SELECT id, artifact FROM record_sources WHERE run_id = ?", arguments: [runID]) {
                let artifact: String = source["artifact"]
                guard subjects.contains(artifact), filed.insert(artifact).inserted else {
                    throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                        reason: "its records are filed under artifact \(artifact), which its attestation (entry \(entryIndex)) does not name once")
                }
                sources.insert(source["id"])
            }
            var frontier = MerkleFrontier()
            // The run's records are the id range first_record ..< first_record + record_count.
            let first: Int64 = run["first_record"]
            let records = try RawStatement(db, sql: """
                SELECT id, leaf_hash, canonical, source_file, source_line, run_id, participant, canonical IS NULL,
                       value IS NULL, site, visit, item, value, unit, observed_at,
                       site IS NULL OR visit IS NULL OR item IS NULL OR observed_at IS NULL, unit IS NULL, source_id
                FROM records WHERE id >= ? AND id < ? ORDER BY id
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
                guard sources.contains(records.int64(17)) else { throw altered(": its artifact and source file are not one of its run's") }
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
                frontier.append(leaf)
            }
            guard frontier.root.hex == attestedRoot, Int64(frontier.size) == attestedCount else {
                throw IntegrityFailure.stageMismatch(run: runID, stage: stage,
                    reason: "its \(frontier.size) stored records give root \(frontier.root.hex), but the attestation (entry \(entryIndex)) signs \(attestedCount) records with root \(attestedRoot): records were added, removed or altered")
            }
            report.records += Int(frontier.size)
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
            for row in stored {
                let name: String = row["name"], version: Int64 = row["version"], digest: String = row["sha256"]
                guard versions.contains(where: { $0["name"]?.stringValue == name && $0["version"]?.integerValue == version }),
                      statement.subjects.contains(where: { $0.name == name && $0.sha256 == digest }) else {
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
                guard let data = FileManager.default.contents(atPath: objects.path(for: subject.sha256)) else {
                    throw IntegrityFailure.objectMissing(name: subject.name, sha256: subject.sha256)
                }
                guard Hex.encode(SHA256.hash(data: data)) == subject.sha256 else {
                    throw IntegrityFailure.objectAltered(name: subject.name, sha256: subject.sha256)
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
        // Every blob the workspace recorded (inputs, signed documents, contracts) is there, unchanged.
        let blobs = try Row.fetchCursor(db, sql: "SELECT sha256, byte_count, stored_at FROM objects WHERE sha256 NOT IN (SELECT sha256 FROM erased_objects) ORDER BY sha256")
        while let blob = try blobs.next() {
            let sha256: String = blob["sha256"]
            let name = "object \(sha256.prefix(12))… (\(blob["byte_count"] as Int64) bytes, stored \(blob["stored_at"] as String))"
            guard let digest = objects.currentDigest(of: sha256) else { throw IntegrityFailure.objectMissing(name: name, sha256: sha256) }
            guard digest == sha256 else { throw IntegrityFailure.objectAltered(name: name, sha256: sha256) }
            report.blobs += 1
        }
        return report
    }
}
