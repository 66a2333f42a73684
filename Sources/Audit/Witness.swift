import Attestation
import Foundation
import MerkleLog
import SignedNote

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

/// A witness's memory: for each log it cosigned, the largest checkpoint (size and root).
/// A small JSON file, rewritten atomically after every cosignature.
public struct WitnessState: Equatable, Sendable {
    public var logs: [String: (size: UInt64, root: TreeHash)]

    public static func == (lhs: WitnessState, rhs: WitnessState) -> Bool {
        lhs.logs.keys == rhs.logs.keys && lhs.logs.allSatisfy { rhs.logs[$0.key]?.size == $0.value.size && rhs.logs[$0.key]?.root == $0.value.root }
    }

    public init(logs: [String: (size: UInt64, root: TreeHash)] = [:]) { self.logs = logs }

    /// Reads the state; a missing file is a witness that has cosigned nothing yet.
    /// - throws: `WitnessError.unusable` for a malformed file.
    public static func load(_ url: URL) throws -> WitnessState {
        guard let data = FileManager.default.contents(atPath: url.path) else { return WitnessState() }
        guard let value = try? JSONValue.parse(data), value["version"] == 1, let logs = value["logs"]?.objectValue else {
            throw WitnessError.unusable("witness state \(url.path) is not a TrialChain witness state file")
        }
        var state = WitnessState()
        for (origin, entry) in logs {
            guard let size = entry["size"]?.integerValue, size >= 0, let root = entry["root"]?.stringValue.flatMap(TreeHash.init(hex:)) else {
                throw WitnessError.unusable("witness state \(url.path): the entry for \(origin) is malformed")
            }
            state.logs[origin] = (UInt64(size), root)
        }
        return state
    }

    public func save(_ url: URL) throws {
        let value: JSONValue = ["version": 1, "logs": .object(logs.mapValues { ["size": .integer(Int64($0.size)), "root": .string($0.root.hex)] })]
        do {
            try Data(CanonicalJSON.encode(value)).write(to: url, options: .atomic)
        } catch {
            throw WitnessError.unusable("cannot write witness state \(url.path): \(error.localizedDescription)")
        }
    }
}

/// A witness (C2SP tlog-witness behaviour, offline): cosigns a checkpoint only when it is signed
/// by the log's key and consistent with the last checkpoint it cosigned for that log.
public enum Witness {
    /// Cosigns a checkpoint.
    /// - parameters:
    ///   - consistencyProof: gives the RFC 6962 consistency proof from the witnessed size to the
    ///     presented one (from the workspace, or a proof file).
    /// - returns: the cosignature and the updated state (the caller saves it).
    public static func cosign(_ checkpointNote: String, logKey: NoteVerifierKey, witness: NoteSigner, state: WitnessState, timestamp: UInt64,
                              consistencyProof: (_ from: UInt64, _ to: UInt64) throws -> [TreeHash]) throws -> (NoteSignature, WitnessState) {
        let note: SignedNote, checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: checkpointNote)
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            throw WitnessError.badCheckpoint("not a signed checkpoint: \(error)")
        }
        guard checkpoint.origin == logKey.name else {
            throw WitnessError.badCheckpoint("the checkpoint is for \(checkpoint.origin), the log key for \(logKey.name)")
        }
        do {
            _ = try note.verify(trusting: [logKey])
        } catch {
            throw WitnessError.badCheckpoint("not signed by the log key \(logKey.handle): \(error)")
        }
        var state = state
        if let witnessed = state.logs[checkpoint.origin] {
            if checkpoint.size < witnessed.size {
                throw WitnessError.rollback(origin: checkpoint.origin, witnessed: witnessed.size, presented: checkpoint.size)
            }
            if checkpoint.size == witnessed.size, checkpoint.root != witnessed.root {
                throw WitnessError.fork(origin: checkpoint.origin, size: checkpoint.size, witnessed: witnessed.root.hex, presented: checkpoint.root.hex)
            }
            if checkpoint.size > witnessed.size && witnessed.size > 0 {
                let proof = try consistencyProof(witnessed.size, checkpoint.size)
                do {
                    try ProofVerifier.verifyConsistency(oldSize: witnessed.size, newSize: checkpoint.size, oldRoot: witnessed.root.bytes,
                                                        newRoot: checkpoint.root.bytes, proof: proof.map(\.bytes))
                } catch {
                    throw WitnessError.inconsistent("size \(checkpoint.size) is not consistent with size \(witnessed.size) cosigned before: \(error)")
                }
            }
        }
        let signature = try Cosignature(cosigning: note.text, timestamp: timestamp, witness: witness).noteSignature
        state.logs[checkpoint.origin] = (checkpoint.size, checkpoint.root)
        return (signature, state)
    }
}
