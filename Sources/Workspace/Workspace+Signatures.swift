import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// What a signature means (21 CFR Part 11 §11.50: the printed name of the signer, the date and
/// time, and the meaning of the signature).
public enum SignatureMeaning: String, CaseIterable, Sendable {
    /// The signer did the work (every stage and anchor carries this).
    case performed
    /// The signer reviewed an entry's outputs.
    case reviewed
    /// The signer approved them.
    case approved
}

extension Workspace {
    /// The predicate type of a review or approval of a ledger entry.
    public static let signaturePredicateType = "https://trialchain.dev/signature/v1"

    /// The signature block every attestation carries: the signer's printed name (from the trust
    /// policy), the meaning, the time and the key. The DSSE signature over the statement binds it
    /// to the digests of exactly what was signed.
    func signatureBlock(_ signer: NoteSigner, _ meaning: SignatureMeaning, at time: String, _ db: Database? = nil) throws -> JSONValue {
        let policy = try db.map { try trustPolicy($0) } ?? trustPolicy()
        return ["name": .string(policy.signer(handle: signer.verifierKey.handle)?.name ?? signer.verifierKey.name), "meaning": .string(meaning.rawValue), "signedAt": .string(time),
         "keyid": .string(signer.verifierKey.handle)]
    }

    /// Appends a signature of `meaning` on ledger entry `index`: a statement whose subject is the
    /// entry's bytes (SHA-256), signed by `signer` (default: the operator key).
    /// - throws: `WorkspaceError.trustPolicy` when the trust policy does not let that key sign
    ///   with that meaning; `.outOfRange` for an entry that does not exist.
    @discardableResult
    public func sign(entry index: UInt64, meaning: SignatureMeaning, with given: NoteSigner? = nil, comment: String? = nil) throws -> AppendResult {
        let signer = try given ?? self.signer(.operator)
        let kind = "signature/\(meaning.rawValue)"
        let policy = try trustPolicy()
        guard let trusted = policy.signer(handle: signer.verifierKey.handle) else {
            throw WorkspaceError.trustPolicy(file: layout.trustPolicy.path,
                reason: "key \(signer.verifierKey.handle) is not in the trust policy; add it with `trialchain trust add`")
        }
        guard trusted.allows(kind) else {
            throw WorkspaceError.trustPolicy(file: layout.trustPolicy.path,
                reason: "\(trusted.name) (\(signer.verifierKey.handle)) may not sign \(kind); the policy allows \(trusted.maySign.joined(separator: ", "))")
        }
        let ledgerSigner = try self.signer(.ledger)
        let signedAt = clock.timestamp
        return try write { db in
            let target = try LedgerStore(db).entry(index)
            let statement = try DSSEEnvelope(parsing: target.entry).statement()
            var predicate: [String: JSONValue] = [
                "signature": try signatureBlock(signer, meaning, at: signedAt, db),
                "entry": .integer(Int64(index)), "leafHash": .string(target.leafHash.hex),
                "signedStatement": [
                    "predicateType": .string(statement.predicateType), "kind": .string(TrustPolicy.kind(of: statement)),
                    "stage": statement.predicate["stage"] ?? .null,
                    "subjects": .array(statement.subjects.map { ["name": .string($0.name), "digest": ["sha256": .string($0.sha256)]] }),
                ],
                "trial": .string(trialID), "tool": ["name": "trialchain", "version": .string(TrialChainVersion.current)],
            ]
            if let comment { predicate["comment"] = .string(comment) }
            let signature = InTotoStatement(subjects: [.init(name: "ledger entry \(index)", sha256: Hex.encode(SHA256.hash(data: target.entry)))],
                                            predicateType: Workspace.signaturePredicateType, predicate: .object(predicate))
            let entry = try DSSEEnvelope(signing: signature.canonicalBytes, with: signer).canonicalBytes
            return try LedgerStore(db).append([entry], signer: ledgerSigner, origin: origin, signedAt: signedAt)
        }
    }
}
