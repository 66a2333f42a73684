import Foundation
import MerkleLog
import SignedNote
import Workspace

/// What became of the latest checkpoint at one witness.
public enum WitnessOutcome: Equatable, Sendable {
    /// The witness cosigned it now; its cosignature is kept.
    case cosigned(size: UInt64)
    /// A cosignature of it was already kept.
    case alreadyCosigned(size: UInt64)
    /// The witness could not be reached; try again later (`trialchain witness push`).
    case unreachable(String)
    /// The witness refused because it saw another history of this log: a fork, or a rollback.
    case refusedFork(String)
    /// The witness refused for another reason (it does not follow this log, bad request, …).
    case refused(String)
}

/// Sends the latest checkpoint to each configured witness, with a consistency proof from the
/// size the witness holds (as the kept cosignatures say, or as a 409 answer tells), and keeps
/// every valid cosignature that comes back.
public struct CosignatureCollector: Sendable {
    let workspace: Workspace
    let client: WitnessClient

    public init(workspace: Workspace, client: WitnessClient = WitnessClient()) {
        self.workspace = workspace
        self.client = client
    }

    /// Asks every configured witness at once.
    /// - returns: one outcome per witness, in the list's order.
    public func collect() async throws -> [(witness: ConfiguredWitness, outcome: WitnessOutcome)] {
        let witnesses = try workspace.witnesses()
        guard !witnesses.isEmpty else { return [] }
        let latest = try workspace.read { try $0.checkpoint() }
        return await withTaskGroup(of: (Int, WitnessOutcome).self) { group in
            for (index, witness) in witnesses.enumerated() {
                group.addTask { (index, await self.ask(witness, size: latest.size, note: latest.note)) }
            }
            var outcomes = [WitnessOutcome?](repeating: nil, count: witnesses.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return zip(witnesses, outcomes).map { ($0, $1!) }
        }
    }

    func ask(_ witness: ConfiguredWitness, size: UInt64, note: String) async -> WitnessOutcome {
        let name = witness.key.name
        do {
            let kept = try workspace.lastCosignedSize(by: witness.key)
            if kept == size { return .alreadyCosigned(size: size) }
            var old = kept.map { min($0, size) } ?? 0
            for _ in 0..<3 {
                let proof = old > 0 && old < size ? try workspace.read { try $0.consistencyProof(from: old, to: size) }.proof : []
                let response: WitnessResponse
                do {
                    response = try await client.addCheckpoint(AddCheckpointRequest(oldSize: old, proof: proof, checkpoint: note), prefix: witness.url)
                } catch {
                    return .unreachable(error.localizedDescription)
                }
                let message = String(decoding: response.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                switch response.status {
                case 200:
                    let cosigned = try SignedNote(parsing: note + String(decoding: response.body, as: UTF8.self))
                    guard let line = cosigned.signatures.first(where: { $0.name == name && $0.keyID == witness.key.keyID }) else {
                        return .refused("\(name) answered 200 without a cosignature by its key \(witness.key.handle)")
                    }
                    do {
                        try workspace.addCosignature(line, size: size, witness: witness.key)
                    } catch {
                        return .refused("\(name) answered with a cosignature that does not verify against its key: \(error)")
                    }
                    return .cosigned(size: size)
                case 409:
                    guard let text = String(validating: response.body, as: UTF8.self), text.hasSuffix("\n"),
                          let held = UInt64(text.dropLast()), held != old else {
                        return .refused("\(name) answered 409 without a usable size (\(message))")
                    }
                    guard held <= size else {
                        return .refusedFork("\(name) holds a checkpoint of size \(held) for this log, larger than its size \(size): the witness saw a history this ledger no longer shows (a rollback or a fork)")
                    }
                    old = held
                case 422:
                    return .refusedFork("\(name) refused: \(message) — the witness holds another history of this log (a fork)")
                case 403:
                    return .refused("\(name) does not trust this log's key (403: \(message)); its operator must add the ledger key \(workspace.ledgerKey.description)")
                case 404:
                    return .refused("\(name) does not follow the origin \(workspace.origin) (404); its operator must add the ledger key \(workspace.ledgerKey.description)")
                default:
                    return .refused("\(name) answered HTTP \(response.status): \(message)")
                }
            }
            return .refused("\(name) kept answering 409; giving up")
        } catch {
            return .refused("\(name): \(error)")
        }
    }
}
