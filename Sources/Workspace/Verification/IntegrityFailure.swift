import MerkleLog

/// The first thing `verify` found broken, named precisely.
public enum IntegrityFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Entries are not numbered 0, 1, 2, … (a row was deleted or renumbered).
    case entryMissing(expected: UInt64, found: UInt64?)
    /// An entry's bytes no longer hash to its stored leaf hash.
    case entryAltered(index: UInt64)
    /// An entry's signature does not verify, or it is not a TrialChain attestation.
    case attestationInvalid(index: UInt64, reason: String)
    /// A stored tile disagrees with the tree recomputed from the entries.
    case tileMismatch(path: String, firstEntry: UInt64?)
    /// A tile that the entries require is not stored.
    case tileMissing(path: String)
    /// A stored tile lies past the tree.
    case tileUnexpected(path: String)
    /// A stored checkpoint is not a valid note signed by the ledger key.
    case checkpointSignature(size: UInt64, reason: String)
    /// A stored checkpoint names another log, or its columns disagree with its note.
    case checkpointMalformed(size: UInt64, reason: String)
    /// A stored checkpoint's root is not the root of the entries.
    case checkpointRoot(size: UInt64, stored: TreeHash, computed: TreeHash)
    /// A checkpoint claims more entries than the ledger holds.
    case checkpointPastLedger(size: UInt64, ledgerSize: UInt64)
    /// Two consecutive checkpoints are not consistent.
    case checkpointsInconsistent(from: UInt64, to: UInt64, reason: String)
    /// The checkpoint given with `--checkpoint` does not check out.
    case externalCheckpoint(reason: String)
    /// A stage run's records or stored summary disagree with its attestation.
    case stageMismatch(run: Int64, stage: String, reason: String)
    /// A record's canonical bytes no longer hash to its leaf hash.
    case recordAltered(run: Int64, stage: String, record: Int, location: String)
    /// An artifact or document named by an attestation is missing from the object store.
    case objectMissing(name: String, sha256: String)
    /// An artifact or document in the object store no longer has its digest.
    case objectAltered(name: String, sha256: String)
    /// The ledger's latest checkpoint does not cover every entry.
    case unsignedEntries(first: UInt64, count: UInt64)
    /// Re-running a stage gave other bytes than the ones it anchored.
    case reexecutionMismatch(run: Int64, stage: String, artifact: String, anchored: String, recomputed: String)
    /// A required witness did not cosign, or its cosignature does not verify.
    case witness(name: String, reason: String)
    /// A stage cannot be re-run from what the workspace holds.
    case reexecutionImpossible(run: Int64, stage: String, reason: String)
    /// A table, index, view or trigger is not what this build's migrations create.
    case schemaAltered(object: String, reason: String)
    /// A batch's signed checkpoint is no longer kept.
    case checkpointMissing(size: UInt64)
    /// A row that no signed entry implies, or that differs from what its entry says.
    case rowUnexpected(table: String, row: String, reason: String)
    /// A report file on disk differs from the anchored version of its report.
    case reportFileAltered(path: String, anchored: String, found: String)

    public var description: String {
        switch self {
        case let .entryMissing(expected, found):
            if let found { return "entry \(expected) is missing: the next stored entry is \(found) (entries were deleted or renumbered)" }
            return "entry \(expected) is missing: the ledger ends early (entries were deleted)"
        case let .entryAltered(index):
            return "entry \(index) was altered: its bytes no longer hash to the leaf hash recorded for it"
        case let .attestationInvalid(index, reason):
            return "entry \(index): \(reason)"
        case let .tileMismatch(path, firstEntry):
            if let firstEntry { return "entry \(firstEntry) differs from the stored tree (\(path)): the entry or the tile was altered" }
            return "stored \(path) disagrees with the tree recomputed from the entries"
        case let .tileMissing(path):
            return "stored tree is missing \(path)"
        case let .tileUnexpected(path):
            return "stored \(path) lies past the end of the ledger (entries were deleted?)"
        case let .checkpointSignature(size, reason):
            return "checkpoint of size \(size): \(reason)"
        case let .checkpointMalformed(size, reason):
            return "checkpoint of size \(size): \(reason)"
        case let .checkpointRoot(size, stored, computed):
            return "checkpoint of size \(size) signs root \(stored.hex), but the first \(size) entries give \(computed.hex): history was rewritten after it was signed"
        case let .checkpointPastLedger(size, ledgerSize):
            return "a checkpoint of size \(size) was signed, but the ledger holds only \(ledgerSize) entries: entries were deleted"
        case let .checkpointsInconsistent(from, to, reason):
            return "checkpoints of sizes \(from) and \(to) are not consistent: \(reason)"
        case let .externalCheckpoint(reason):
            return "the checkpoint you hold does not match this ledger: \(reason)"
        case let .stageMismatch(run, stage, reason):
            return "stage run \(run) (\(stage)): \(reason)"
        case let .recordAltered(run, stage, record, location):
            return "record \(record) of stage run \(run) (\(stage), from \(location)) was altered: its bytes no longer hash to the leaf in the attested record tree"
        case let .objectMissing(name, sha256):
            return "\(name) (sha256 \(sha256.prefix(12))…) is missing from the object store"
        case let .objectAltered(name, sha256):
            return "\(name) in the object store was altered: it no longer has sha256 \(sha256.prefix(12))…"
        case let .unsignedEntries(first, count):
            return "\(count) entries from index \(first) on are not covered by any signed checkpoint"
        case let .reexecutionMismatch(run, stage, artifact, anchored, recomputed):
            return "stage run \(run) (\(stage)): re-running it gives \(artifact) with sha256 \(recomputed.prefix(12))…, but it anchored \(anchored.prefix(12))…: the output, or what it was computed from, was altered"
        case let .witness(name, reason):
            return "witness \(name) \(reason)"
        case let .reexecutionImpossible(run, stage, reason):
            return "stage run \(run) (\(stage)) cannot be re-run: \(reason)"
        case let .schemaAltered(object, reason):
            return "the workspace database's \(object) was altered: \(reason)"
        case let .checkpointMissing(size):
            return "the checkpoint of size \(size), which the ledger signed for a batch of entries, is missing: signed checkpoints are never deleted"
        case let .rowUnexpected(table, row, reason):
            return "\(table) row \(row): \(reason)"
        case let .reportFileAltered(path, anchored, found):
            return "\(path) was altered after it was anchored: it has sha256 \(found.prefix(12))…, but its report stage anchored \(anchored.prefix(12))…"
        }
    }
}
