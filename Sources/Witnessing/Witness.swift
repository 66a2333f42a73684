import Foundation
import MerkleLog
import SignedNote

/// A witness (c2sp.org/tlog-witness): cosigns a checkpoint only when it is signed by a key it
/// trusts for the origin and consistent with the last checkpoint it cosigned for that log.
public enum Witness {
    /// Decides an `add-checkpoint` request, as the spec orders the checks.
    /// - parameters:
    ///   - logs: the log keys the witness trusts, by origin (a checkpoint's first line).
    ///   - state: what the witness holds; the caller persists the returned state before answering.
    /// - returns: the cosignature line and the new state.
    /// - throws: the refusal, with its status code.
    public static func addCheckpoint(_ request: AddCheckpointRequest, logs: [String: [NoteVerifierKey]], witness: NoteSigner,
                                     state: WitnessState, timestamp: UInt64) throws(AddCheckpointRefusal) -> (NoteSignature, WitnessState) {
        let note: SignedNote, checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: request.checkpoint)
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            throw .malformed("the checkpoint is not a signed tlog-checkpoint: \(error)")
        }
        guard let keys = logs[checkpoint.origin] else { throw .unknownOrigin(checkpoint.origin) }
        do {
            _ = try note.verify(trusting: keys)
        } catch {
            throw .notSigned(origin: checkpoint.origin, reason: "\(error)")
        }
        guard request.oldSize <= checkpoint.size else { throw .oldSizeAboveCheckpoint(old: request.oldSize, size: checkpoint.size) }
        let held = state.logs[checkpoint.origin] ?? (0, RFC6962.emptyRoot)
        guard request.oldSize == held.size else { throw .conflict(stored: held.size) }
        if checkpoint.size == held.size {
            guard checkpoint.root == held.root else {
                throw .fork(origin: checkpoint.origin, size: checkpoint.size, held: held.root.hex, presented: checkpoint.root.hex)
            }
            guard request.proof.isEmpty else { throw .inconsistent("a checkpoint of the size this witness holds takes an empty proof") }
        } else if held.size == 0 {
            guard request.proof.isEmpty else { throw .inconsistent("a proof from size 0 must be empty") }
        } else {
            do {
                try ProofVerifier.verifyConsistency(oldSize: held.size, newSize: checkpoint.size, oldRoot: held.root.bytes,
                                                    newRoot: checkpoint.root.bytes, proof: request.proof.map(\.bytes))
            } catch {
                throw .inconsistent("size \(checkpoint.size) does not extend size \(held.size) this witness cosigned: \(error)")
            }
        }
        let signature: NoteSignature
        do {
            signature = try Cosignature(cosigning: note.text, timestamp: timestamp, witness: witness).noteSignature
        } catch {
            throw .malformed("the checkpoint text cannot be cosigned: \(error)")
        }
        var next = state
        next.logs[checkpoint.origin] = (checkpoint.size, checkpoint.root)
        return (signature, next)
    }

    /// Cosigns a checkpoint offline (`trialchain witness cosign`): the same checks as
    /// `addCheckpoint`, with the proof from the size the witness holds taken from `consistencyProof`.
    /// - returns: the cosignature and the updated state (the caller saves it).
    public static func cosign(_ checkpointNote: String, logKey: NoteVerifierKey, witness: NoteSigner, state: WitnessState, timestamp: UInt64,
                              consistencyProof: (_ from: UInt64, _ to: UInt64) throws -> [TreeHash]) throws -> (NoteSignature, WitnessState) {
        let parsed = try? Checkpoint(parsing: SignedNote(parsing: checkpointNote).text)
        let size = parsed?.size, origin = parsed?.origin ?? ""
        let held = state.logs[origin]?.size ?? 0
        if let size, size < held { throw WitnessError.rollback(origin: origin, witnessed: held, presented: size) }
        let proof = if let size, held > 0, size > held { try consistencyProof(held, size) } else { [TreeHash]() }
        do {
            return try addCheckpoint(AddCheckpointRequest(oldSize: held, proof: proof, checkpoint: checkpointNote),
                                     logs: [logKey.name: [logKey]], witness: witness, state: state, timestamp: timestamp)
        } catch {
            switch error {
            case .malformed, .unknownOrigin, .notSigned, .oldSizeAboveCheckpoint, .conflict:
                if case .unknownOrigin = error { throw WitnessError.badCheckpoint("the checkpoint is for \(origin), the log key for \(logKey.name)") }
                throw WitnessError.badCheckpoint("\(error)")
            case let .fork(origin, size, held, presented):
                throw WitnessError.fork(origin: origin, size: size, witnessed: held, presented: presented)
            case let .inconsistent(reason):
                throw WitnessError.inconsistent(reason)
            }
        }
    }
}
