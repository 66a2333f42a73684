import Attestation
import Foundation
import GRDB

/// The correction rule: a stage records a file as the newest version of its artifact only when
/// its content is new and a reason is given, and never records content that a later version
/// already superseded unless told explicitly (`allowRevert`). Checked before a stage runs, so
/// the error names every file that changed and nothing is stored.
extension Workspace {
    /// One version of an artifact, with what the stage run that created it said.
    private struct VersionRow {
        let version: Int
        let sha256: String
        let run: Int64
        let reason: String?
    }

    /// - throws: `StageError.wouldRevert` (first) or `StageError.correctionsNeedReason`.
    static func checkCorrections(_ description: StageDescription, _ db: Database, objects: ObjectStore) throws {
        guard !description.sources.isEmpty else { return }
        var reverts: [StageCorrection] = []
        var changes: [StageCorrection] = []
        for source in description.sources {
            let versions = try Row.fetchAll(db, sql: """
                SELECT a.version, a.sha256, a.run_id, r.reason FROM stage_artifacts a JOIN stage_runs r ON r.id = a.run_id
                WHERE a.name = ? ORDER BY a.version DESC
                """, arguments: [source.artifact]).map {
                VersionRow(version: $0["version"], sha256: $0["sha256"], run: $0["run_id"], reason: $0["reason"])
            }
            guard let current = versions.first else { continue }
            // An artifact that names no source file (or whose source an erasure destroyed) is
            // judged by its digest once the stage has made it.
            guard let currentSource = try sourceDigest(of: current, name: source.artifact, db, objects: objects) else { continue }
            if currentSource == source.sha256 { continue }
            var matches: Int?
            for earlier in versions.dropFirst() where try sourceDigest(of: earlier, name: source.artifact, db, objects: objects) == source.sha256 {
                matches = earlier.version
                break
            }
            let change = StageCorrection(
                artifact: source.artifact, file: source.file, current: current.version, currentRun: current.run, currentReason: current.reason,
                currentSource: objects.contains(currentSource) ? objects.path(for: currentSource) : nil, matches: matches)
            if matches != nil, !description.allowRevert {
                reverts.append(change)
            } else if description.reason == nil {
                changes.append(change)
            }
        }
        if !reverts.isEmpty { throw StageError.wouldRevert(reverts) }
        if !changes.isEmpty { throw StageError.correctionsNeedReason(changes) }
    }

    /// The digest of the file an artifact version was made from (`source.sha256` in its JSON),
    /// read through its redacted copy after an erasure; nil when the artifact names no source.
    private static func sourceDigest(of version: VersionRow, name: String, _ db: Database, objects: ObjectStore) throws -> String? {
        let artifact = ArtifactVersion(name: name, version: version.version, sha256: version.sha256)
        guard let bytes = try readable(artifact, erased: try erasure(of: version.sha256, db), in: objects) else { return nil }
        return (try? JSONValue.parse(bytes))?["source"]?["sha256"]?.stringValue
    }

    /// The superseded version whose digest `digest` is, if the artifact had such a version
    /// before its current one (a revert of an artifact that names no source file).
    static func supersededVersion(_ name: String, digest: String, _ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: """
            SELECT version FROM stage_artifacts WHERE name = ? AND sha256 = ?
              AND version < (SELECT max(version) FROM stage_artifacts WHERE name = ?) ORDER BY version DESC LIMIT 1
            """, arguments: [name, digest, name])
    }
}
