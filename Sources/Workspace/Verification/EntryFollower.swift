import Attestation
import Crypto
import Foundation
import MerkleLog
import GRDB
import SignedNote

/// One ledger entry as a monitor reports it.
public struct FollowedEntry: Equatable, Sendable {
    public let index: UInt64
    /// The entry's kind for the trust policy: a stage kind, `anchor`, `signature/<meaning>`, `erasure`.
    public let kind: String
    /// The printed name of the signer, from the trust policy in force.
    public let signer: String
    /// The subject names the entry attests (at most a few, for printing).
    public let subjects: [String]
    /// Whether the entry puts a new trust policy in force from the next entry on.
    public let changesTrustPolicy: Bool
}

/// Follows a ledger entry by entry without a workspace (a monitor): checks each entry's DSSE
/// signature against the trust policy the ledger's own trust entries put in force, exactly as
/// `verify` does, and says what each entry is.
public struct EntryFollower: Sendable {
    var timeline: PolicyTimeline
    let operatorKey: NoteVerifierKey

    /// A follower at the start of a ledger: the genesis policy (the operator key signs everything).
    public init(operatorKey: NoteVerifierKey) {
        self.operatorKey = operatorKey
        self.timeline = PolicyTimeline(operatorKey: operatorKey, provisionalName: operatorKey.name)
    }

    /// A follower resumed from saved state.
    public init(operatorKey: NoteVerifierKey, policy: TrustPolicy, operatorNameFixed: Bool) {
        self.operatorKey = operatorKey
        self.timeline = PolicyTimeline(current: policy, nameFixed: operatorNameFixed, operatorKey: operatorKey)
    }

    /// The trust policy in force for the next entry.
    public var policy: TrustPolicy { timeline.current }
    /// Whether the genesis operator's printed name is settled (saved with the policy).
    public var operatorNameFixed: Bool { timeline.isNameFixed }

    /// Checks the entry at `index` and moves the policy on when it anchors a new one.
    /// - parameter trustPolicy: the bytes of an anchored trust policy, by SHA-256 (fetched from
    ///   the log's server); they are checked against the digest the entry names.
    /// - throws: `IntegrityFailure.attestationInvalid` naming the entry: not a signed attestation,
    ///   an unauthorised signer, a signer acting outside its rights, an unreadable policy.
    public mutating func follow(index: UInt64, entry: [UInt8], trustPolicy: (String) throws -> [UInt8]) throws -> FollowedEntry {
        let stored = StoredEntry(index: index, leafHash: RFC6962.leafHash(entry), entry: entry)
        let (envelope, statement) = try Workspace.parseAttestation(stored)
        timeline.observe(statement, envelope: envelope)
        let policy = timeline.current
        try Workspace.checkAttestation(stored, envelope, statement, policy: policy)
        let key = envelope.verifiedSigners(among: policy.signers.map(\.key)).first
        let signer = key.flatMap { policy.signer(handle: $0.handle)?.name } ?? "?"
        var changes = false
        if statement.predicateType == Workspace.anchorPredicateType,
           let subject = statement.subjects.first(where: { $0.name == Workspace.trustPolicySubject }) {
            let bytes = try trustPolicy(subject.sha256)
            guard Hex.encode(SHA256.hash(data: bytes)) == subject.sha256 else {
                throw IntegrityFailure.objectMissing(name: "the trust policy anchored by entry \(index) (the server sent other bytes)", sha256: subject.sha256)
            }
            do {
                timeline.replace(with: try TrustPolicy(bytes: bytes, file: "the trust policy anchored by entry \(index)"))
            } catch {
                throw IntegrityFailure.attestationInvalid(index: index, reason: "it anchors a trust policy that cannot be read: \(error)")
            }
            changes = true
        }
        return FollowedEntry(index: index, kind: TrustPolicy.kind(of: statement), signer: signer,
                             subjects: statement.subjects.prefix(3).map(\.name), changesTrustPolicy: changes)
    }
}

extension Workspace {
    /// The bytes of a trust policy the ledger anchored (for monitors, over `serve`); nil when no
    /// entry anchors a trust policy with this digest.
    public func anchoredTrustPolicy(sha256: String) throws -> [UInt8]? {
        try read { ledger in
            guard try Bool.fetchOne(ledger.db, sql: "SELECT 1 FROM anchored_files WHERE name = ? AND sha256 = ?",
                                    arguments: [Workspace.trustPolicySubject, sha256]) == true else { return nil }
            return try Workspace.objectBytes(sha256: sha256, name: "the anchored trust policy", in: objects)
        }
    }
}
