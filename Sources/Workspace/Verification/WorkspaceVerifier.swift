import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// `verify`'s walk from the signed ledger outward. Nothing in the workspace is trusted because it
/// is there: every table, column, view and file is either **bound** (a signed entry covers it, and
/// it is checked both ways), **derived** (the entries define it; it is recomputed and compared),
/// or a **declared cache** that no command reads to decide anything (`WorkspaceRules.caches`).
///
/// The walk, in order (each step is one function below, and the README's Auditing section lists
/// the same rules):
/// 1. the schema: every table, index, view and trigger is exactly what this build's migrations
///    create (a redefined `records` view or a dropped trigger fails);
/// 2. the ledger: leaf hashes, tiles, checkpoints, consistency (`LedgerVerifier`), and each entry's
///    signature against the trust policy in force at that entry, which the anchored trust
///    entries define (`PolicyTimeline`); a measurement stage's site-signed submissions against
///    the same policy (`checkSubmissions`); the facts each entry implies (`LedgerFacts`);
/// 3. checkpoints: every batch's checkpoint is kept, signed at its entry's time;
/// 4. workspace metadata: trial, origin and keys (creation time and tool are informational);
/// 5. stage runs, both ways, every column, with their records, sources, lines, rejects and
///    artifact versions (`StageVerifier`);
/// 6. anchored files, both ways;
/// 7. erasures: the `erasures` and `erased_objects` tables are exactly what the signed erasure
///    entries say, and only erased participants' records are blank;
/// 8. salts: none for an erased participant (the others are checked through the leaves they hash);
/// 9. the object store: every blob an entry or a bound record names is there with its digest
///    (unless a signed erasure destroyed it), and every `objects` row is named by something bound;
/// 10. cosignatures: each kept line names its witness and a signed checkpoint;
/// 11. report files on disk: each equals the latest anchored version of its report.
struct WorkspaceVerifier {
    let db: Database
    let layout: WorkspaceLayout
    let objects: ObjectStore
    let trialID: String
    let origin: String
    let ledgerKey: NoteVerifierKey
    let operatorKey: NoteVerifierKey

    /// - parameters:
    ///   - external: a signed checkpoint kept elsewhere that the ledger must extend.
    ///   - checkAttestations: check every entry as a TrialChain attestation (false only for
    ///     benchmark ledgers of raw entries).
    ///   - auditorPolicy: check every entry against this policy instead of the ledger's own.
    func verify(external: String?, checkAttestations: Bool, auditorPolicy: TrustPolicy?,
                progress: ((UInt64) -> Void)?) throws -> LedgerReport {
        try checkSchema()
        var facts = LedgerFacts()
        var timeline = PolicyTimeline(operatorKey: operatorKey, provisionalName: provisionalOperatorName())
        var report = try LedgerVerifier(db, origin: origin, ledgerKey: ledgerKey).verify(
            external: external,
            checkEntry: checkAttestations ? { entry in try self.checkEntry(entry, facts: &facts, timeline: &timeline, auditorPolicy: auditorPolicy) } : nil,
            progress: progress)
        guard checkAttestations else { return report }
        try checkCheckpoints(facts)
        try checkMetadata()
        let (stages, implied) = try StageVerifier(db: db, objects: objects, facts: facts).verify()
        report.stages = stages
        try checkAnchors(facts)
        try checkErasures(facts)
        try checkSalts(facts)
        report.stages.blobs = try checkObjects(facts, implied: implied)
        try checkCosignatures()
        report.reports = try checkReportFiles(facts)
        report.policyInForce = timeline.current
        return report
    }

    // MARK: 1. Schema

    /// Compares `sqlite_master` with the schema this build's migrations create in memory, and
    /// the applied migrations with this build's list.
    func checkSchema() throws {
        let expected = try WorkspaceRules.expectedSchema()
        let stored = try WorkspaceRules.schema(of: db)
        for (name, object) in stored where expected[name] == nil {
            throw IntegrityFailure.schemaAltered(object: "\(object.type) \(name)", reason: "it is not part of a TrialChain workspace")
        }
        for (name, object) in expected {
            guard let found = stored[name] else {
                throw IntegrityFailure.schemaAltered(object: "\(object.type) \(name)", reason: "it was dropped")
            }
            guard found == object else {
                throw IntegrityFailure.schemaAltered(object: "\(object.type) \(name)", reason: "its definition was changed")
            }
        }
        let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        guard applied == Schema.migrator.migrations else {
            throw IntegrityFailure.schemaAltered(object: "table grdb_migrations", reason: "it lists \(applied) instead of \(Schema.migrator.migrations)")
        }
    }

    // MARK: 2. Entries

    /// The genesis operator's name before any entry fixes it: `init`'s readable copy.
    func provisionalOperatorName() -> String {
        guard let data = FileManager.default.contents(atPath: layout.trustPolicy.path),
              let policy = try? TrustPolicy(bytes: Array(data), file: layout.trustPolicy.path),
              let signer = policy.signer(handle: operatorKey.handle) else { return operatorKey.name }
        return signer.name
    }

    func checkEntry(_ entry: StoredEntry, facts: inout LedgerFacts, timeline: inout PolicyTimeline, auditorPolicy: TrustPolicy?) throws {
        let (envelope, statement) = try Workspace.parseAttestation(entry)
        if auditorPolicy == nil { timeline.observe(statement, envelope: envelope) }
        try Workspace.checkAttestation(entry, envelope, statement, policy: auditorPolicy ?? timeline.current)
        try checkSubmissions(index: entry.index, statement: statement, policy: auditorPolicy ?? timeline.current)
        try facts.add(statement, index: entry.index, trialID: trialID)
        // An anchored trust policy is in force from the next entry on.
        if statement.predicateType == Workspace.anchorPredicateType,
           let subject = statement.subjects.first(where: { $0.name == Workspace.trustPolicySubject }) {
            guard let data = FileManager.default.contents(atPath: objects.path(for: subject.sha256)),
                  Hex.encode(SHA256.hash(data: data)) == subject.sha256 else {
                throw IntegrityFailure.objectMissing(name: "the trust policy anchored by entry \(entry.index)", sha256: subject.sha256)
            }
            do {
                timeline.replace(with: try TrustPolicy(bytes: Array(data), file: "the trust policy anchored by entry \(entry.index)"))
            } catch {
                throw IntegrityFailure.attestationInvalid(index: entry.index, reason: "it anchors a trust policy that cannot be read: \(error)")
            }
        }
    }

    // MARK: 3. Checkpoints

    func checkCheckpoints(_ facts: LedgerFacts) throws {
        let stored = Dictionary(uniqueKeysWithValues: try LedgerStore(db).checkpoints().map { ($0.size, $0) })
        for required in facts.requiredCheckpoints {
            guard let checkpoint = stored[required.size] else {
                throw IntegrityFailure.checkpointMissing(size: required.size)
            }
            if let time = required.signedAt, checkpoint.signedAt != time {
                throw IntegrityFailure.checkpointMalformed(size: required.size, reason: "it is stored as signed at \(checkpoint.signedAt), but its batch's entry was signed at \(time)")
            }
        }
    }

    // MARK: 4. Metadata

    func checkMetadata() throws {
        let meta = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM workspace_meta").map { ($0["key"] as String, $0["value"] as String) })
        let known: Set<String> = ["trial_id", "origin", "created_at", "ledger_key", "operator_key", "created_by"]
        if let unknown = meta.keys.sorted().first(where: { !known.contains($0) }) {
            throw IntegrityFailure.rowUnexpected(table: "workspace_meta", row: unknown, reason: "no TrialChain workspace has this key")
        }
        // trial_id, origin and the keys were read into this verifier from these rows: the entries
        // (trial), the checkpoints (origin, ledger key) and the genesis policy (operator key) bind
        // them; a held checkpoint or --trust-policy pins them from outside.
        guard meta["trial_id"] == trialID, meta["origin"] == origin, meta["ledger_key"] == ledgerKey.description,
              meta["operator_key"] == operatorKey.description else {
            throw IntegrityFailure.rowUnexpected(table: "workspace_meta", row: "keys", reason: "it changed while verify ran")
        }
    }

    // MARK: 6. Anchors

    func checkAnchors(_ facts: LedgerFacts) throws {
        let stored = try Row.fetchAll(db, sql: "SELECT entry_idx, name, sha256 FROM anchored_files ORDER BY entry_idx, name")
            .map { (index: UInt64($0["entry_idx"] as Int64), name: $0["name"] as String, sha256: $0["sha256"] as String) }
        let expected = facts.anchors.sorted { ($0.index, $0.name) < ($1.index, $1.name) }
        for (offset, anchor) in expected.enumerated() {
            guard offset < stored.count, stored[offset] == anchor else {
                throw IntegrityFailure.rowUnexpected(table: "anchored_files", row: "entry \(anchor.index) (\(anchor.name))",
                                                     reason: "the row for this anchor is missing or differs from the entry")
            }
        }
        if stored.count > expected.count {
            let extra = stored[expected.count]
            throw IntegrityFailure.rowUnexpected(table: "anchored_files", row: "entry \(extra.index) (\(extra.name))", reason: "no anchor entry names it")
        }
    }

    // MARK: 7. Erasures

    func checkErasures(_ facts: LedgerFacts) throws {
        let stored = try Row.fetchAll(db, sql: "SELECT participant, entry_idx, reason, erased_at FROM erasures ORDER BY entry_idx")
        for row in stored {
            let participant: String = row["participant"]
            guard let erasure = facts.erasures.first(where: { $0.participant == participant }) else {
                throw IntegrityFailure.rowUnexpected(table: "erasures", row: participant, reason: "no signed erasure entry erases this participant: a forged erasure")
            }
            guard UInt64(row["entry_idx"] as Int64) == erasure.index, row["reason"] == erasure.reason, row["erased_at"] == erasure.erasedAt else {
                throw IntegrityFailure.rowUnexpected(table: "erasures", row: participant, reason: "it differs from erasure entry \(erasure.index)")
            }
        }
        if let missing = facts.erasures.first(where: { erasure in !stored.contains { ($0["participant"] as String) == erasure.participant } }) {
            throw IntegrityFailure.rowUnexpected(table: "erasures", row: missing.participant, reason: "erasure entry \(missing.index) erased this participant, but the row is missing")
        }
        var listed: [String: (replacedBy: String?, index: UInt64)] = [:]
        for erasure in facts.erasures { for object in erasure.objects { listed[object.sha256] = (object.replacedBy, erasure.index) } }
        let rows = try Row.fetchAll(db, sql: "SELECT sha256, replaced_by, entry_idx FROM erased_objects")
        for row in rows {
            let sha256: String = row["sha256"]
            guard let fact = listed[sha256] else {
                throw IntegrityFailure.rowUnexpected(table: "erased_objects", row: String(sha256.prefix(12)) + "…", reason: "no signed erasure entry destroyed this blob")
            }
            guard row["replaced_by"] as String? == fact.replacedBy, UInt64(row["entry_idx"] as Int64) == fact.index else {
                throw IntegrityFailure.rowUnexpected(table: "erased_objects", row: String(sha256.prefix(12)) + "…", reason: "it differs from erasure entry \(fact.index)")
            }
        }
        guard rows.count == listed.count else {
            throw IntegrityFailure.rowUnexpected(table: "erased_objects", row: "\(listed.count - rows.count) rows", reason: "the signed erasure entries list blobs that have no row")
        }
    }

    // MARK: 8. Salts

    func checkSalts(_ facts: LedgerFacts) throws {
        let erased = Set(facts.erasures.map(\.participant))
        // A salt with no records yet is harmless (a stage may make one for a participant whose
        // rows were all rejected); every salt a record uses is checked through its leaf hashes.
        for participant in erased where try Bool.fetchOne(db, sql: "SELECT 1 FROM participant_salts WHERE participant = ?", arguments: [participant]) == true {
            throw IntegrityFailure.rowUnexpected(table: "participant_salts", row: participant, reason: "the participant was erased, but their salt is back")
        }
    }

    // MARK: 9. Objects

    /// - returns: the number of blobs re-hashed.
    func checkObjects(_ facts: LedgerFacts, implied stageBlobs: StageVerifier.Implied) throws -> Int {
        var implied = stageBlobs
        func imply(_ sha256: String, _ name: String, _ time: String, _ index: UInt64) {
            if let known = implied[sha256], known.index <= index { return }
            implied[sha256] = (name, time, index)
        }
        for anchor in facts.anchors {
            imply(anchor.sha256, "anchored file \(anchor.name)", facts.entries.first { $0.index == anchor.index }?.signedAt ?? "", anchor.index)
        }
        for erasure in facts.erasures {
            for object in erasure.objects { if let copy = object.replacedBy { imply(copy, "redacted copy made by erasure entry \(erasure.index)", erasure.erasedAt, erasure.index) } }
        }
        var checked = 0
        for (sha256, fact) in implied.sorted(by: { $0.key < $1.key }) {
            if facts.erasedObjects[sha256] != nil { continue }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM objects WHERE sha256 = ?", arguments: [sha256]) == true else {
                throw IntegrityFailure.objectMissing(name: "\(fact.name) (its objects row)", sha256: sha256)
            }
            guard let digest = objects.currentDigest(of: sha256) else { throw IntegrityFailure.objectMissing(name: fact.name, sha256: sha256) }
            guard digest == sha256 else { throw IntegrityFailure.objectAltered(name: fact.name, sha256: sha256) }
            checked += 1
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT sha256, byte_count, stored_at FROM objects ORDER BY sha256")
        while let row = try rows.next() {
            let sha256: String = row["sha256"]
            let label = String(sha256.prefix(12)) + "…"
            // A blob a signed erasure destroyed keeps its row (nothing is deleted) and no file.
            if facts.erasedObjects[sha256] != nil { continue }
            guard let fact = implied[sha256] else {
                throw IntegrityFailure.rowUnexpected(table: "objects", row: label, reason: "no entry, anchored record or erasure names this blob")
            }
            guard row["stored_at"] == fact.time else {
                throw IntegrityFailure.rowUnexpected(table: "objects", row: label, reason: "its stored_at is not the time of entry \(fact.index), the first to name it (\(fact.name))")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: objects.path(for: sha256))[.size] as? NSNumber)?.int64Value
            guard size == row["byte_count"] else {
                throw IntegrityFailure.rowUnexpected(table: "objects", row: label, reason: "its byte_count is not the blob's size")
            }
        }
        return checked
    }

    // MARK: 10. Cosignatures

    func checkCosignatures() throws {
        for row in try Row.fetchAll(db, sql: "SELECT size, witness, line FROM cosignatures") {
            let size = UInt64(row["size"] as Int64), witness: String = row["witness"], line: String = row["line"]
            guard let note = try String.fetchOne(db, sql: "SELECT note FROM ledger_checkpoints WHERE size = ?", arguments: [Int64(size)]) else {
                throw IntegrityFailure.rowUnexpected(table: "cosignatures", row: "size \(size), \(witness)", reason: "no checkpoint of that size was signed")
            }
            // Its validity needs the witness's key: `verify --witness VKEY` checks it.
            guard let cosigned = try? SignedNote(parsing: note + line), cosigned.signatures.count >= 2,
                  let signature = cosigned.signatures.last, "\(signature.name)+\(NoteKeyID.hex(signature.keyID))" == witness else {
                throw IntegrityFailure.rowUnexpected(table: "cosignatures", row: "size \(size), \(witness)", reason: "its line is not a signature by that witness")
            }
        }
    }

    // MARK: 11. Report files

    /// - returns: the report files on disk that were compared, and the anchored ones missing there.
    func checkReportFiles(_ facts: LedgerFacts) throws -> ReportFilesReport {
        var result = ReportFilesReport()
        let latest = try Row.fetchAll(db, sql: """
            SELECT name, max(version) AS version, sha256 FROM stage_artifacts WHERE name LIKE 'reports/%' GROUP BY name ORDER BY name
            """)
        var anchoredPaths: Set<String> = []
        var isDirectory: ObjCBool = false
        result.folderPresent = FileManager.default.fileExists(atPath: layout.root.appendingPathComponent("reports").path, isDirectory: &isDirectory) && isDirectory.boolValue
        result.anchored = latest.count
        for row in latest {
            let name: String = row["name"], sha256: String = row["sha256"]
            let relative = String(name.dropFirst("reports/".count))
            anchoredPaths.insert(relative)
            let path = layout.root.appendingPathComponent("reports").appendingPathComponent(relative).path
            guard let digest = ObjectStore.digest(ofFileAt: path) else {
                result.missing.append("reports/" + relative)
                continue
            }
            if let replaced = facts.erasedObjects[sha256] {
                // An erasure destroyed this report: only its redacted copy may be on disk.
                if digest == replaced { result.matching += 1; continue }
                if digest == sha256 {
                    throw IntegrityFailure.reportFileAltered(path: "reports/" + relative, anchored: replaced ?? "(destroyed)", found: digest + " (the version an erasure destroyed)")
                }
            } else if digest == sha256 {
                result.matching += 1
                continue
            }
            throw IntegrityFailure.reportFileAltered(path: "reports/" + relative, anchored: sha256, found: digest)
        }
        let folder = layout.root.appendingPathComponent("reports").path
        for relative in (FileManager.default.subpaths(atPath: folder) ?? []).sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if !anchoredPaths.contains(relative) { result.unanchored.append("reports/" + relative) }
        }
        return result
    }
}

/// Report files under `<workspace>/reports/` compared with their anchored digests.
public struct ReportFilesReport: Sendable, Equatable {
    /// Files equal to the latest anchored version of their report.
    public var matching = 0
    /// Anchored reports with no file on disk (written elsewhere with --out, or removed).
    public var missing: [String] = []
    /// Files under reports/ that no report stage anchored.
    public var unanchored: [String] = []
    /// Reports anchored (latest versions), and whether the workspace has a reports/ folder at all
    /// (a bundle has none: its reports are in the object store).
    public var anchored = 0
    public var folderPresent = false
}

extension Workspace {
    /// The subject name under which `setTrustPolicy` anchors a new policy.
    static let trustPolicySubject = "trust-policy.json"

    /// Verifies the workspace from the signed ledger outward (see `WorkspaceVerifier`).
    /// - parameters:
    ///   - external: a signed checkpoint kept elsewhere that the ledger must extend.
    ///   - checkAttestations: check every entry as a signed TrialChain attestation.
    ///   - given: check signers against this policy instead of the one the ledger defines.
    /// - throws: `IntegrityFailure` naming the first broken thing.
    public func verifyLedger(external: String? = nil, checkAttestations: Bool = true, policy given: TrustPolicy? = nil,
                             progress: ((UInt64) -> Void)? = nil) throws -> LedgerReport {
        try Workspace.translate(layout) {
            try pool.read { db in
                try WorkspaceVerifier(db: db, layout: layout, objects: objects, trialID: trialID, origin: origin,
                                      ledgerKey: ledgerKey, operatorKey: operatorKey)
                    .verify(external: external, checkAttestations: checkAttestations, auditorPolicy: given, progress: progress)
            }
        }
    }
}
