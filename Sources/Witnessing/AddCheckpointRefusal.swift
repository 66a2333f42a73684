import Foundation

/// Why a witness refuses an `add-checkpoint` request, with the c2sp.org/tlog-witness status code.
public enum AddCheckpointRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// 400: the body is not a request.
    case malformed(String)
    /// 404: the witness follows no log of this origin.
    case unknownOrigin(String)
    /// 403: no valid signature by a key the witness trusts for the origin.
    case notSigned(origin: String, reason: String)
    /// 400: `old` is larger than the checkpoint's size.
    case oldSizeAboveCheckpoint(old: UInt64, size: UInt64)
    /// 409: `old` is not the size the witness holds; retry with a proof from `stored`.
    case conflict(stored: UInt64)
    /// 422: same size as the witness holds, another root (or a non-empty tree root at size 0).
    case fork(origin: String, size: UInt64, held: String, presented: String)
    /// 422: the consistency proof does not lead from the witness's tree to the checkpoint's.
    case inconsistent(String)

    /// The HTTP status the spec gives this refusal.
    public var status: Int {
        switch self {
        case .malformed, .oldSizeAboveCheckpoint: return 400
        case .notSigned: return 403
        case .unknownOrigin: return 404
        case .conflict: return 409
        case .fork, .inconsistent: return 422
        }
    }

    public var description: String {
        switch self {
        case let .malformed(reason): return "malformed add-checkpoint request: \(reason)"
        case let .unknownOrigin(origin): return "this witness follows no log with origin \(origin)"
        case let .notSigned(origin, reason): return "the checkpoint carries no valid signature by a key this witness trusts for \(origin): \(reason)"
        case let .oldSizeAboveCheckpoint(old, size): return "old size \(old) is larger than the checkpoint's size \(size)"
        case let .conflict(stored): return "this witness holds size \(stored) for the log; send a consistency proof from there"
        case let .fork(origin, size, held, presented):
            return "\(origin) at size \(size) had root \(held) when this witness cosigned it; now \(presented): the log forked"
        case let .inconsistent(reason): return "the consistency proof does not hold: \(reason)"
        }
    }
}
