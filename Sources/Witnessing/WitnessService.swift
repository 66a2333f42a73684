import Foundation
import SignedNote

/// A witness's answer to one request: the HTTP status, its content type and body.
public struct WitnessAnswer: Equatable, Sendable {
    public let status: Int
    public let contentType: String
    public let body: String
}

/// A running witness: one state file (locked for the process's life), the logs it follows and
/// its key. Requests are decided one at a time, and the new state is on disk before the answer
/// leaves, so a crash never lets the witness forget a checkpoint it cosigned.
public actor WitnessService {
    let witness: NoteSigner
    let logs: [String: [NoteVerifierKey]]
    let stateURL: URL
    let lock: StateLock
    let now: @Sendable () -> UInt64
    var state: WitnessState

    /// - parameters:
    ///   - logs: the log keys the witness trusts; a checkpoint's origin must be a key's name.
    ///   - now: seconds since the Unix epoch, for cosignature timestamps.
    /// - throws: `WitnessError.unusable` for a malformed or locked state file, or no log key.
    public init(witness: NoteSigner, logs: [NoteVerifierKey], stateURL: URL,
                now: @escaping @Sendable () -> UInt64 = { UInt64(max(0, Date().timeIntervalSince1970)) }) throws {
        guard !logs.isEmpty else { throw WitnessError.unusable("a witness needs at least one log key to follow (--log VKEY)") }
        self.witness = witness
        self.logs = Dictionary(grouping: logs, by: \.name)
        self.stateURL = stateURL
        self.lock = try WitnessState.lock(stateURL)
        self.state = try WitnessState.load(stateURL)
        self.now = now
    }

    /// Answers `POST /add-checkpoint` with this body.
    public func addCheckpoint(body: [UInt8]) -> WitnessAnswer {
        do throws(AddCheckpointRefusal) {
            let request = try AddCheckpointRequest(parsing: body)
            let (signature, next) = try Witness.addCheckpoint(request, logs: logs, witness: witness, state: state, timestamp: now())
            do {
                try next.save(stateURL)
            } catch {
                return WitnessAnswer(status: 500, contentType: "text/plain; charset=utf-8", body: "the witness could not save its state; nothing was cosigned\n")
            }
            state = next
            return WitnessAnswer(status: 200, contentType: "text/plain; charset=utf-8", body: signature.line)
        } catch {
            if case let .conflict(stored) = error {
                return WitnessAnswer(status: 409, contentType: "text/x.tlog.size", body: "\(stored)\n")
            }
            return WitnessAnswer(status: error.status, contentType: "text/plain; charset=utf-8", body: "\(error)\n")
        }
    }

    /// The size and root this witness holds for an origin.
    public func held(_ origin: String) -> (size: UInt64, root: String)? {
        state.logs[origin].map { ($0.size, $0.root.hex) }
    }
}
