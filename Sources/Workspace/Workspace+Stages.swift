import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote

extension Workspace {
    /// The predicate type of a stage attestation.
    public static let stagePredicateType = "https://trialchain.dev/stage/v1"

    /// Runs a stage in one transaction: `body` validates its inputs, adds records and rejects, and
    /// returns its artifacts; then the artifacts, the attestation and a new checkpoint are written.
    /// If anything throws, nothing of the stage remains.
    ///
    /// A stage that already ran on identical materials and parameters appends nothing.
    /// - parameters:
    ///   - description: what the attestation says about the stage's inputs.
    ///   - maxRejects: fail the whole stage beyond this many rejects.
    /// - throws: `StageError`, what `body` throws, storage errors.
    public func runStage(_ description: StageDescription, maxRejects: Int? = nil,
                         _ body: (StageWriter) throws -> [StageArtifact]) throws -> StageOutcome {
        let inputKey = Workspace.inputKey(description)
        var addedBlobs: [String] = []
        do {
            // One write transaction from the "unchanged" decision to the commit: two processes
            // running the same stage at once cannot both decide it is new.
            return try write { db -> StageOutcome in
                if let previous = try Int64.fetchOne(db, sql: "SELECT entry_idx FROM stage_runs WHERE kind = ? AND input_key = ? ORDER BY id DESC LIMIT 1",
                                                     arguments: [description.kind, inputKey]) {
                    return .unchanged(entryIndex: UInt64(previous))
                }
                try Workspace.checkCorrections(description, db, objects: objects)
                let operatorSigner = try signer(.operator)
                let ledgerSigner = try signer(.ledger)
                let startedAt = clock.timestamp
                let runID = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM stage_runs") ?? 0) + 1
                let writer = try StageWriter(db, runID: runID, objects: objects, storedAt: startedAt)
                defer { addedBlobs += writer.addedBlobs }
                let artifacts = try body(writer)
                if let maxRejects, writer.rejectCount > maxRejects {
                    throw StageError.tooManyRejects(count: writer.rejectCount, limit: maxRejects, first: Array(writer.rejects.prefix(10)))
                }
                var versions: [ArtifactVersion] = []
                var subjects: [InTotoStatement.Subject] = []
                for made in artifacts {
                    let latest = try Workspace.latestArtifact(db, made.name)
                    let digest: String, byteCount: Int64
                    if let file = made.file {
                        // Written to a file as it was produced: moved into the store, never read whole.
                        let stored = try objects.place(file, deferSync: true)
                        if stored.isNew { addedBlobs.append(stored.sha256) }
                        (digest, byteCount) = (stored.sha256, stored.byteCount)
                        if let latest, latest.sha256 != digest, !description.derived, !made.derived, description.reason == nil {
                            throw StageError.needsReason(artifact: made.name, version: latest.version, sha256: latest.sha256)
                        }
                    } else {
                        var artifact = made
                        var computed = Hex.encode(SHA256.hash(data: artifact.bytes))
                        if let latest, latest.sha256 != computed {
                            artifact = try Workspace.samePathless(made, as: latest, in: objects)
                            computed = Hex.encode(SHA256.hash(data: artifact.bytes))
                        }
                        if let latest, latest.sha256 != computed, !description.derived, !artifact.derived {
                            if !description.allowRevert, let earlier = try Workspace.supersededVersion(artifact.name, digest: computed, db) {
                                throw StageError.wouldRevert([StageCorrection(
                                    artifact: artifact.name, file: description.sources.first { $0.artifact == artifact.name }?.file ?? artifact.name,
                                    current: latest.version, currentRun: try Int64.fetchOne(db, sql: "SELECT run_id FROM stage_artifacts WHERE name = ? AND version = ?", arguments: [latest.name, latest.version]) ?? 0,
                                    currentReason: nil, currentSource: nil, matches: earlier)])
                            }
                            if description.reason == nil {
                                throw StageError.needsReason(artifact: artifact.name, version: latest.version, sha256: latest.sha256)
                            }
                        }
                        let stored = try objects.store(bytes: artifact.bytes, deferSync: true)
                        if stored.isNew { addedBlobs.append(stored.sha256) }
                        (digest, byteCount) = (computed, Int64(artifact.bytes.count))
                    }
                    try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                                   arguments: [digest, byteCount, startedAt])
                    subjects.append(.init(name: made.name, sha256: digest))
                    if latest?.sha256 == digest { continue }
                    let version = ArtifactVersion(name: made.name, version: (latest?.version ?? 0) + 1, sha256: digest)
                    try db.execute(sql: "INSERT INTO stage_artifacts (run_id, name, version, sha256) VALUES (?, ?, ?, ?)",
                                   arguments: [runID, version.name, version.version, version.sha256])
                    versions.append(version)
                }
                try writer.storeRecordTreeEdge()
                let endedAt = clock.timestamp
                var predicate: [String: JSONValue] = [
                    "stage": .string(description.stage), "kind": .string(description.kind),
                    "materials": .array(description.materials.map { ["name": .string($0.name), "digest": ["sha256": .string($0.sha256)]] }),
                    "parameters": description.parameters,
                    "artifactVersions": .array(versions.map { ["name": .string($0.name), "version": .integer(Int64($0.version))] }),
                    "recordCount": .integer(Int64(writer.recordCount)), "recordRoot": .string(writer.recordRoot.hex),
                    "rejectCount": .integer(Int64(writer.rejectCount)), "rejectDigest": .string(writer.rejectDigest),
                    "firstRecord": .integer(writer.firstRecord), "recordLines": .string(writer.recordLinesDigest),
                    "startedAt": .string(startedAt), "endedAt": .string(endedAt),
                    "signer": .string(operatorSigner.verifierKey.handle), "trial": .string(trialID),
                    "signature": try signatureBlock(operatorSigner, .performed, at: endedAt, db),
                    "tool": ["name": "trialchain", "version": .string(TrialChainVersion.current)],
                ]
                if let reason = description.reason { predicate["reason"] = .string(reason) }
                if let contract = description.contract {
                    predicate["contract"] = ["name": .string(contract.name), "digest": ["sha256": .string(contract.sha256)]]
                }
                if let pipeline = description.pipeline {
                    predicate["pipeline"] = ["name": .string(pipeline.name), "digest": ["sha256": .string(pipeline.sha256)]]
                }
                // Many files: the lists go into a manifest blob, and the statement signs its digest.
                let (statement, manifest) = StageManifest.statement(subjects: subjects, predicate: predicate, predicateType: Workspace.stagePredicateType)
                if let manifest {
                    let stored = try objects.store(bytes: manifest, deferSync: true)
                    if stored.isNew { addedBlobs.append(stored.sha256) }
                    try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                                   arguments: [stored.sha256, manifest.count, startedAt])
                }
                let entry = try DSSEEnvelope(signing: statement.canonicalBytes, with: operatorSigner).canonicalBytes
                let batch = try LedgerStore(db).append([entry], signer: ledgerSigner, origin: origin, signedAt: endedAt)
                try db.execute(sql: """
                    INSERT INTO stage_runs (id, stage, kind, input_key, entry_idx, first_record, record_count, record_root, reject_count, reason, started_at, ended_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, description.stage, description.kind, inputKey, Int64(batch.firstIndex), writer.firstRecord, writer.recordCount,
                                     Data(writer.recordRoot.bytes), writer.rejectCount, description.reason, startedAt, endedAt])
                // The blobs this run added are made durable once, before the commit that names them.
                try objects.synchronize(writer.addedBlobs + addedBlobs)
                return .committed(StageReceipt(runID: runID, entryIndex: batch.firstIndex, ledgerSize: batch.size, recordCount: writer.recordCount,
                                               recordRoot: writer.recordRoot, rejectCount: writer.rejectCount, artifacts: versions))
            }
        } catch {
            for digest in addedBlobs { objects.remove(digest) }
            throw error
        }
    }

    /// The latest version's bytes when `artifact` says the same but for the path its source file
    /// was read from (`source.name`): the same file content from another folder is not a new
    /// version, so a rerun never records a reason against a file that did not change.
    static func samePathless(_ artifact: StageArtifact, as latest: ArtifactVersion, in objects: ObjectStore) throws -> StageArtifact {
        guard case var .object(new)? = try? JSONValue.parse(artifact.bytes), case var .object(source)? = new["source"],
              let stored = try? objectBytes(sha256: latest.sha256, name: nil, in: objects),
              case let .object(old)? = try? JSONValue.parse(stored), let name = old["source"]?["name"] else { return artifact }
        source["name"] = name
        new["source"] = .object(source)
        guard CanonicalJSON.encode(.object(new)) == stored else { return artifact }
        return StageArtifact(name: artifact.name, bytes: stored, derived: artifact.derived)
    }

    /// The digest identifying a stage's inputs: kind, materials and parameters.
    static func inputKey(_ description: StageDescription) -> String {
        var value: [String: JSONValue] = [
            "kind": .string(description.kind),
            "materials": .array(description.materials.map { ["name": .string($0.name), "sha256": .string($0.sha256)] }),
            "parameters": description.parameters,
        ]
        if let contract = description.contract { value["contract"] = ["name": .string(contract.name), "sha256": .string(contract.sha256)] }
        return Hex.encode(SHA256.hash(data: CanonicalJSON.encode(.object(value))))
    }

    static func latestArtifact(_ db: Database, _ name: String) throws -> ArtifactVersion? {
        try Row.fetchOne(db, sql: "SELECT name, version, sha256 FROM stage_artifacts WHERE name = ? ORDER BY version DESC LIMIT 1",
                         arguments: [name]).map { ArtifactVersion(name: $0["name"], version: $0["version"], sha256: $0["sha256"]) }
    }

    static func latestArtifacts(_ db: Database, prefix: String, throughRun run: Int64? = nil) throws -> [ArtifactVersion] {
        try Row.fetchAll(db, sql: """
            SELECT name, max(version) AS version, sha256 FROM stage_artifacts
            WHERE substr(name, 1, length(?)) = ? AND (? IS NULL OR run_id <= ?) GROUP BY name ORDER BY name
            """, arguments: [prefix, prefix, run, run]).map { ArtifactVersion(name: $0["name"], version: $0["version"], sha256: $0["sha256"]) }
    }

    /// The latest version of an artifact.
    public func latestArtifact(_ name: String) throws -> ArtifactVersion? {
        try read { try Workspace.latestArtifact($0.db, name) }
    }

    /// The latest version of every artifact whose name starts with `prefix`; with `throughRun`,
    /// as they were once that stage run committed.
    public func latestArtifacts(prefix: String, throughRun run: Int64? = nil) throws -> [ArtifactVersion] {
        try read { try Workspace.latestArtifacts($0.db, prefix: prefix, throughRun: run) }
    }

    /// The bytes of a stored artifact, checked against its digest.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the blob is missing or altered.
    public func artifactBytes(_ version: ArtifactVersion) throws -> [UInt8] {
        try objectBytes(sha256: version.sha256, name: "\(version.name) v\(version.version)")
    }

    /// The bytes of a blob in the object store, checked against its digest.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the blob is missing or altered.
    public func objectBytes(sha256: String, name: String? = nil) throws -> [UInt8] {
        try Workspace.objectBytes(sha256: sha256, name: name, in: objects)
    }

    static func objectBytes(sha256: String, name: String?, in objects: ObjectStore) throws -> [UInt8] {
        let label = name ?? "sha256 \(sha256.prefix(12))…"
        guard let data = FileManager.default.contents(atPath: objects.path(for: sha256)) else {
            throw WorkspaceError.ledgerInconsistent("the object for \(label) is missing")
        }
        guard Hex.encode(SHA256.hash(data: data)) == sha256 else {
            throw WorkspaceError.ledgerInconsistent("the object for \(label) was altered")
        }
        return Array(data)
    }

    /// The artifact versions a stage run created, by name.
    public func artifactVersions(ofRun runID: Int64) throws -> [ArtifactVersion] {
        try read { ledger in
            try Row.fetchAll(ledger.db, sql: "SELECT name, version, sha256 FROM stage_artifacts WHERE run_id = ? ORDER BY name", arguments: [runID])
                .map { ArtifactVersion(name: $0["name"], version: $0["version"], sha256: $0["sha256"]) }
        }
    }

    /// Whether a stage run with this number was committed.
    public func stageRunExists(_ runID: Int64) throws -> Bool {
        try read { try Bool.fetchOne($0.db, sql: "SELECT EXISTS (SELECT 1 FROM stage_runs WHERE id = ?)", arguments: [runID]) ?? false }
    }

    /// Rejects, newest run first (optionally of one run), in the order they were found.
    public func rejects(runID: Int64? = nil) throws -> [(runID: Int64, stage: String, reject: StageReject)] {
        try read { ledger in
            let rows = try Row.fetchAll(ledger.db, sql: """
                SELECT r.run_id, s.stage, r.file, r.line, r.field, r.reason, r.raw FROM rejects r JOIN stage_runs s ON s.id = r.run_id
                WHERE (? IS NULL OR r.run_id = ?) ORDER BY r.run_id DESC, r.rowid
                """, arguments: [runID, runID])
            return rows.map { row in
                (row["run_id"], row["stage"], StageReject(file: row["file"], line: row["line"], field: row["field"], reason: row["reason"], raw: row["raw"]))
            }
        }
    }
}
