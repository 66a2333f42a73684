import Foundation

/// Why a witness refused to cosign (the log misbehaved: exit 1) or could not (bad input: exit 2).
public enum WitnessError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The checkpoint is not validly signed by the log's key.
    case badCheckpoint(String)
    /// The checkpoint is older than the one this witness already cosigned for the log.
    case rollback(origin: String, witnessed: UInt64, presented: UInt64)
    /// Same size, other root: the log forked.
    case fork(origin: String, size: UInt64, witnessed: String, presented: String)
    /// The consistency proof from the witnessed checkpoint does not hold.
    case inconsistent(String)
    /// The state file, key or proof cannot be used.
    case unusable(String)

    public var description: String {
        switch self {
        case let .badCheckpoint(reason): return "refusing to cosign: \(reason)"
        case let .rollback(origin, witnessed, presented):
            return "refusing to cosign: this witness already cosigned \(origin) at size \(witnessed); a checkpoint of size \(presented) goes backwards"
        case let .fork(origin, size, witnessed, presented):
            return "refusing to cosign: \(origin) at size \(size) had root \(witnessed) when this witness cosigned it, now \(presented): the log forked"
        case let .inconsistent(reason): return "refusing to cosign: \(reason)"
        case let .unusable(reason): return reason
        }
    }

    /// Misbehaviour of the log (exit 1) rather than bad input (exit 2).
    public var isIntegrityFailure: Bool {
        if case .unusable = self { return false }
        return true
    }
}
