import Attestation
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// What the signed entries say the workspace must hold, gathered in one pass over the ledger in
/// index order. Every other check of `verify` compares the workspace with these facts: a row
/// that no fact implies, or a fact that no row answers, is a failure.
struct LedgerFacts {
    /// One entry, as much of it as the later checks need.
    struct Entry {
        let index: UInt64
        let kind: String
        /// The signature block's time (`signedAt`), which is also the time of the checkpoint
        /// signed with the entry's batch.
        let signedAt: String?
        /// An anchor of a plain file: the batch may hold several anchors with one checkpoint.
        let isAnchor: Bool
    }

    /// An erasure entry: whom it erased, why, when, and the fate of each blob it lists.
    struct Erasure {
        let index: UInt64
        let participant: String
        let reason: String
        let erasedAt: String
        let objects: [(sha256: String, replacedBy: String?)]
    }

    var entries: [Entry] = []
    /// Stage entries (predicate stage/v1), in index order.
    var stageEntries: [UInt64] = []
    /// Anchor entries' subjects: (entry, name, sha256).
    var anchors: [(index: UInt64, name: String, sha256: String)] = []
    var erasures: [Erasure] = []
    /// Blobs the signed erasures destroyed, each with its redacted copy (nil: none).
    var erasedObjects: [String: String?] = [:]

    /// Records what `statement` (entry `index`) implies.
    mutating func add(_ statement: InTotoStatement, index: UInt64, trialID: String) throws {
        func fail(_ reason: String) -> IntegrityFailure { .attestationInvalid(index: index, reason: reason) }
        let kind = TrustPolicy.kind(of: statement)
        if let trial = statement.predicate["trial"]?.stringValue, trial != trialID {
            throw fail("it is an entry of trial \(trial), but this workspace is trial \(trialID)")
        }
        let signedAt = statement.predicate["signature"]?["signedAt"]?.stringValue
        entries.append(Entry(index: index, kind: kind, signedAt: signedAt, isAnchor: statement.predicateType == Workspace.anchorPredicateType))
        switch statement.predicateType {
        case Workspace.stagePredicateType:
            stageEntries.append(index)
        case Workspace.anchorPredicateType:
            for subject in statement.subjects { anchors.append((index, subject.name, subject.sha256)) }
        case Workspace.erasurePredicateType:
            let predicate = statement.predicate
            guard let participant = predicate["participant"]?.stringValue, let reason = predicate["reason"]?.stringValue,
                  let listed = predicate["objects"]?.arrayValue, let erasedAt = signedAt else {
                throw fail("an erasure entry without participant, reason, time or objects")
            }
            var objects: [(sha256: String, replacedBy: String?)] = []
            for item in listed {
                guard let sha256 = item["sha256"]?.stringValue else { throw fail("an erasure entry lists an object without a sha256") }
                objects.append((sha256, item["replacedBy"]?.stringValue))
                erasedObjects[sha256] = item["replacedBy"]?.stringValue
            }
            guard !erasures.contains(where: { $0.participant == participant }) else {
                throw fail("a second erasure of participant \(participant)")
            }
            erasures.append(Erasure(index: index, participant: participant, reason: reason, erasedAt: erasedAt, objects: objects))
        default:
            break
        }
    }

    /// The checkpoint sizes the ledger must hold: the empty tree, and the end of every batch.
    /// Each stage, erasure and signature is a batch of its own; anchors written by one command
    /// share a batch and a time, so a run of anchors with the same time needs a checkpoint at
    /// its end at least (anchors in the same second by separate commands cannot be told apart).
    var requiredCheckpoints: [(size: UInt64, signedAt: String?)] {
        var required: [(UInt64, String?)] = [(0, nil)]
        for (position, entry) in entries.enumerated() {
            let next = position + 1 < entries.count ? entries[position + 1] : nil
            if entry.isAnchor, let next, next.isAnchor, next.signedAt == entry.signedAt { continue }
            required.append((entry.index + 1, entry.signedAt))
        }
        return required
    }
}

/// The trust policy in force at each entry, derived from the ledger alone.
///
/// Genesis: the operator key may sign everything; its printed name is the one the first entry it
/// signs carries (before any entry, `init`'s copy in `trust-policy.json` is the only statement of
/// it). Each anchored `trust-policy.json` (signed by a key the policy then in force allows to
/// sign anchors) is the policy from the next entry on.
struct PolicyTimeline {
    private(set) var current: TrustPolicy
    private var nameFixed = false
    private let operatorHandle: String

    init(operatorKey: NoteVerifierKey, provisionalName: String) {
        current = TrustPolicy(signers: [.init(key: operatorKey, name: provisionalName, maySign: ["*"])])
        operatorHandle = operatorKey.handle
    }

    /// Resumes a timeline at `current` (a monitor's saved state).
    init(current: TrustPolicy, nameFixed: Bool, operatorKey: NoteVerifierKey) {
        self.current = current
        self.nameFixed = nameFixed
        operatorHandle = operatorKey.handle
    }

    /// Whether the genesis operator's printed name is settled.
    var isNameFixed: Bool { nameFixed }

    /// Before the entry is checked: the first entry the genesis operator signs fixes its name.
    mutating func observe(_ statement: InTotoStatement, envelope: DSSEEnvelope) {
        guard !nameFixed, envelope.signatures.contains(where: { $0.keyid == operatorHandle }) else { return }
        nameFixed = true
        if let name = statement.predicate["signature"]?["name"]?.stringValue, !name.isEmpty {
            current.signers[0].name = name
        }
    }

    /// From the next entry on, `policy` is in force.
    mutating func replace(with policy: TrustPolicy) {
        current = policy
        nameFixed = true
    }
}
