import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// What an erasure did.
public struct ErasureReceipt: Equatable, Sendable {
    public let entryIndex: UInt64
    /// Records whose content was blanked (their leaf hashes stay).
    public let records: Int
    /// Blobs destroyed with nothing in their place (signed documents, single-participant files).
    public let destroyed: Int
    /// Blobs replaced by a redacted copy (shared source files, contract outputs, reports).
    public let redacted: Int
}

extension Workspace {
    /// The predicate type of an erasure entry.
    public static let erasurePredicateType = "https://trialchain.dev/erasure/v1"

    /// Erases a participant (GDPR Art. 17): destroys their salt, blanks the content of every
    /// record of theirs (keeping the leaf hashes, so every tree and proof still verifies),
    /// destroys their signed documents and redacts every stored file that mentions them, and
    /// appends a signed erasure entry that lists what was destroyed and the redacted copies.
    /// - throws: `WorkspaceError.outOfRange` for an unknown or already erased participant.
    @discardableResult
    public func erase(participant: String, reason: String) throws -> ErasureReceipt {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw WorkspaceError.outOfRange("an erasure needs a reason") }
        let (known, erased, documents) = try read { ledger -> (Int, Bool, Set<String>) in
            let count = try Int.fetchOne(ledger.db, sql: "SELECT count(*) FROM record_rows WHERE participant = ?", arguments: [participant]) ?? 0
            let erased = try Bool.fetchOne(ledger.db, sql: "SELECT 1 FROM erasures WHERE participant = ?", arguments: [participant]) ?? false
            var documents = Set<String>()
            for canonical in try Data.fetchAll(ledger.db, sql: "SELECT canonical FROM records WHERE participant = ? AND artifact LIKE 'consents/%' AND canonical IS NOT NULL", arguments: [participant]) {
                if let digest = (try? JSONValue.parse(canonical))?["record"]?["document"]?["sha256"]?.stringValue { documents.insert(digest) }
            }
            return (count, erased, documents)
        }
        guard !erased else { throw WorkspaceError.outOfRange("participant \(participant) was already erased") }
        guard known > 0 else { throw WorkspaceError.outOfRange("participant \(participant) has no records in this workspace") }

        // Work out every blob's fate before anything changes; redacted copies are stored first
        // (and removed again if the erasure fails), originals are destroyed only after the commit.
        var fates: [(sha256: String, replacedBy: String?)] = []
        var addedBlobs: [String] = []
        let candidates = try read { ledger in
            try String.fetchAll(ledger.db, sql: "SELECT sha256 FROM objects WHERE sha256 NOT IN (SELECT sha256 FROM erased_objects) ORDER BY sha256")
        }
        do {
            for digest in candidates {
                if documents.contains(digest) {
                    fates.append((digest, nil))
                    continue
                }
                guard let data = FileManager.default.contents(atPath: objects.path(for: digest)) else { continue }
                switch Redaction.redact(Array(data), participant: participant) {
                case .untouched: continue
                case .destroyed: fates.append((digest, nil))
                case let .redacted(bytes):
                    let stored = try objects.store(bytes: bytes)
                    if stored.isNew { addedBlobs.append(stored.sha256) }
                    fates.append((digest, stored.sha256))
                }
            }
            let operatorSigner = try signer(.operator)
            let ledgerSigner = try signer(.ledger)
            let erasedAt = clock.timestamp
            let receipt = try write { db -> ErasureReceipt in
                let runs = try Int64.fetchAll(db, sql: "SELECT DISTINCT run_id FROM record_rows WHERE participant = ? ORDER BY run_id", arguments: [participant])
                let listed: [JSONValue] = fates.map { ["sha256": .string($0.sha256), "replacedBy": $0.replacedBy.map(JSONValue.string) ?? .null] }
                let predicate: JSONValue = [
                    "participant": .string(participant), "reason": .string(reason), "records": .integer(Int64(known)),
                    "recordRuns": .array(runs.map(JSONValue.integer)), "objects": .array(listed),
                    "signature": try signatureBlock(operatorSigner, .performed, at: erasedAt, db),
                    "trial": .string(trialID), "tool": ["name": "trialchain", "version": .string(TrialChainVersion.current)],
                ]
                let subject = InTotoStatement.Subject(name: "erasure/\(participant)", sha256: Hex.encode(SHA256.hash(data: CanonicalJSON.encode(.array(listed)))))
                let statement = InTotoStatement(subjects: [subject], predicateType: Workspace.erasurePredicateType, predicate: predicate)
                let entry = try DSSEEnvelope(signing: statement.canonicalBytes, with: operatorSigner).canonicalBytes
                let batch = try LedgerStore(db).append([entry], signer: ledgerSigner, origin: origin, signedAt: erasedAt)
                try db.execute(sql: "INSERT INTO erasures (participant, entry_idx, reason, erased_at) VALUES (?, ?, ?, ?)",
                               arguments: [participant, Int64(batch.firstIndex), reason, erasedAt])
                try db.execute(sql: "UPDATE record_rows SET canonical = NULL, value = NULL, observed_at = NULL, unit = NULL WHERE participant = ?",
                               arguments: [participant])
                for fate in fates {
                    try db.execute(sql: "INSERT INTO erased_objects (sha256, replaced_by, entry_idx) VALUES (?, ?, ?)",
                                   arguments: [fate.sha256, fate.replacedBy, Int64(batch.firstIndex)])
                    if let copy = fate.replacedBy {
                        let size = (try? FileManager.default.attributesOfItem(atPath: objects.path(for: copy))[.size] as? NSNumber)?.int64Value ?? 0
                        try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)", arguments: [copy, size, erasedAt])
                    }
                }
                try db.execute(sql: "DELETE FROM participant_salts WHERE participant = ?", arguments: [participant])
                return ErasureReceipt(entryIndex: batch.firstIndex, records: known, destroyed: fates.filter { $0.replacedBy == nil }.count,
                                      redacted: fates.filter { $0.replacedBy != nil }.count)
            }
            redactReportFiles(fates)
            for fate in fates { objects.remove(fate.sha256) }
            return receipt
        } catch {
            for digest in addedBlobs { objects.remove(digest) }
            throw error
        }
    }

    /// Report files written under `reports/` hold the same bytes as anchored report blobs: each
    /// one an erasure destroyed is replaced by its redacted copy, or removed.
    func redactReportFiles(_ fates: [(sha256: String, replacedBy: String?)]) {
        let folder = layout.root.appendingPathComponent("reports")
        let byDigest = Dictionary(fates.map { ($0.sha256, $0.replacedBy) }, uniquingKeysWith: { first, _ in first })
        for relative in FileManager.default.subpaths(atPath: folder.path) ?? [] {
            let url = folder.appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: url.path), let fate = byDigest[Hex.encode(SHA256.hash(data: data))] else { continue }
            if let copy = fate, let redacted = FileManager.default.contents(atPath: objects.path(for: copy)) {
                try? redacted.write(to: url, options: .atomic)
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }

    /// Blobs destroyed by erasures, each with its redacted copy (`nil`: none).
    /// The bytes of an artifact version as they can be read now: the stored blob, or after an
    /// erasure its redacted copy; nil when an erasure destroyed it with nothing in its place.
    /// - throws: `WorkspaceError.ledgerInconsistent` when a blob is missing or altered.
    public func readableArtifactBytes(_ version: ArtifactVersion) throws -> [UInt8]? {
        let erased = try read { try Workspace.erasure(of: version.sha256, $0.db) }
        return try Workspace.readable(version, erased: erased, in: objects)
    }

    /// Nil when the blob was never erased; else `.some(replacement)` (nil: destroyed).
    static func erasure(of sha256: String, _ db: Database) throws -> String?? {
        guard let row = try Row.fetchOne(db, sql: "SELECT replaced_by FROM erased_objects WHERE sha256 = ?", arguments: [sha256]) else { return nil }
        return .some(row["replaced_by"] as String?)
    }

    static func readable(_ version: ArtifactVersion, erased: String??, in objects: ObjectStore) throws -> [UInt8]? {
        switch erased {
        case .none: return try objectBytes(sha256: version.sha256, name: "\(version.name) v\(version.version)", in: objects)
        case .some(.none): return nil
        case let .some(.some(copy)): return try objectBytes(sha256: copy, name: "the redacted copy of \(version.name) v\(version.version)", in: objects)
        }
    }

    public func erasedObjects() throws -> [String: String?] {
        try read { ledger in
            var result: [String: String?] = [:]
            for row in try Row.fetchAll(ledger.db, sql: "SELECT sha256, replaced_by FROM erased_objects") { result[row["sha256"]] = row["replaced_by"] as String? }
            return result
        }
    }

    /// Erasures so far: participant, ledger entry, reason, time.
    public func erasures() throws -> [(participant: String, entryIndex: UInt64, reason: String, erasedAt: String)] {
        try read { ledger in
            try Row.fetchAll(ledger.db, sql: "SELECT participant, entry_idx, reason, erased_at FROM erasures ORDER BY entry_idx").map {
                ($0["participant"], UInt64($0["entry_idx"] as Int64), $0["reason"], $0["erased_at"])
            }
        }
    }
}
