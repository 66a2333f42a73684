import Attestation
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// One anchored file.
public struct AnchorReceipt: Sendable, Equatable {
    /// The file's ledger entry.
    public let index: UInt64
    /// The subject name recorded for it.
    public let name: String
    /// Lowercase hex SHA-256 of its bytes.
    public let sha256: String
    /// Its size in bytes.
    public let byteCount: Int64
}

extension Workspace {
    /// The predicate type of a plain file anchor.
    public static let anchorPredicateType = "https://trialchain.dev/anchor/v1"

    /// Anchors files: each file's bytes go to the object store and one signed attestation per
    /// file is appended to the ledger, all in one batch with one new checkpoint.
    /// - parameter files: each file's location and the subject name to record for it.
    /// - returns: one receipt per file, and the batch's result.
    /// - throws: `WorkspaceError.unreadableFile` before anything is written when a file cannot
    ///   be read; on any error the workspace is left as it was.
    public func anchor(_ files: [(url: URL, name: String)]) throws -> (receipts: [AnchorReceipt], batch: AppendResult) {
        // An anchored `trust-policy.json` changes who may sign what (see `setTrustPolicy`).
        if files.contains(where: { $0.name == Workspace.trustPolicySubject }) {
            throw WorkspaceError.unreadableFile(path: Workspace.trustPolicySubject,
                reason: "a file anchored under this name would become the trust policy; change the policy with `trialchain trust add`, or anchor the file under another path")
        }
        if files.contains(where: { $0.name == Workspace.accessTokensSubject }) {
            throw WorkspaceError.unreadableFile(path: Workspace.accessTokensSubject,
                reason: "a file anchored under this name would become the list of HTTP bearer tokens; manage tokens with `trialchain token`, or anchor the file under another path")
        }
        if files.contains(where: { $0.name == Workspace.witnessesSubject }) {
            throw WorkspaceError.unreadableFile(path: Workspace.witnessesSubject,
                reason: "a file anchored under this name would become the list of witnesses; manage witnesses with `trialchain witness add` and `remove`, or anchor the file under another path")
        }
        return try anchorFiles(files)
    }

    func anchorFiles(_ files: [(url: URL, name: String)]) throws -> (receipts: [AnchorReceipt], batch: AppendResult) {
        let operatorSigner = try signer(.operator)
        let ledgerSigner = try signer(.ledger)
        var added: [String] = []
        do {
            var stored: [ObjectStore.Stored] = []
            for file in files {
                let result = try objects.store(fileAt: file.url)
                if result.isNew { added.append(result.sha256) }
                stored.append(result)
            }
            let anchoredAt = clock.timestamp
            let entries = try zip(files, stored).map { file, blob -> [UInt8] in
                let statement = InTotoStatement(
                    subjects: [.init(name: file.name, sha256: blob.sha256)],
                    predicateType: Workspace.anchorPredicateType,
                    predicate: [
                        "anchoredAt": .string(anchoredAt),
                        "byteCount": .integer(blob.byteCount),
                        "signer": .string(operatorSigner.verifierKey.handle),
                        "signature": try signatureBlock(operatorSigner, .performed, at: anchoredAt),
                        "tool": ["name": "trialchain", "version": .string(TrialChainVersion.current)],
                        "trial": .string(trialID),
                    ])
                return try DSSEEnvelope(signing: statement.canonicalBytes, with: operatorSigner).canonicalBytes
            }
            let batch = try write { db -> AppendResult in
                for blob in stored {
                    try db.execute(sql: "INSERT OR IGNORE INTO objects (sha256, byte_count, stored_at) VALUES (?, ?, ?)",
                                   arguments: [blob.sha256, blob.byteCount, anchoredAt])
                }
                let result = try LedgerStore(db).append(entries, signer: ledgerSigner, origin: origin, signedAt: anchoredAt)
                for (offset, (file, blob)) in zip(files, stored).enumerated() {
                    try db.execute(sql: "INSERT INTO anchored_files (entry_idx, name, sha256) VALUES (?, ?, ?)",
                                   arguments: [Int64(result.firstIndex) + Int64(offset), file.name, blob.sha256])
                }
                return result
            }
            let receipts = zip(files, stored).enumerated().map { offset, pair in
                AnchorReceipt(index: batch.firstIndex + UInt64(offset), name: pair.0.name, sha256: pair.1.sha256, byteCount: pair.1.byteCount)
            }
            return (receipts, batch)
        } catch {
            // Nothing half-written: blobs this call added go again.
            for digest in added { objects.remove(digest) }
            throw error
        }
    }
}
