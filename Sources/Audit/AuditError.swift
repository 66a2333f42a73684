/// Why an audit input (a proof file, a selection) cannot be used: bad usage or input, not an
/// integrity failure.
public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof file is not a TrialChain record proof, or a field is missing or malformed.
    case malformedProof(field: String, reason: String)
    /// No record, or more than one, matches the selection.
    case selection(String)

    public var description: String {
        switch self {
        case let .malformedProof(field, reason): return "not a usable record proof: \(field): \(reason)"
        case let .selection(message): return message
        }
    }
}

/// A check of a proof that did not hold: the proof, or what it claims, was altered or forged.
public struct ProofFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The step that failed: `record`, `record tree`, `attestation`, `ledger`, `checkpoint`.
    public let step: String
    public let reason: String

    public var description: String { "record proof fails at the \(step): \(reason)" }
}
