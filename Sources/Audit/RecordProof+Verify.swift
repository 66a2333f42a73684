import Attestation
import MerkleLog
import SignedNote

/// What a verified record proof established.
public struct RecordProofReport: Equatable, Sendable {
    /// The record's id, when the attestation binds it (`firstRecord`).
    public let recordID: Int64?
    public let content: JSONValue
    public let stage: String
    public let entryIndex: UInt64
    public let checkpointSize: UInt64
    public let checkpointRoot: TreeHash
    /// The keys checked were given by the auditor (not taken from the proof itself).
    public let keysPinned: Bool
}

extension RecordProof {
    /// Checks every step, offline.
    /// - parameters:
    ///   - ledgerKey: the ledger's verifier key obtained elsewhere (default: the proof's own).
    ///   - operatorKey: the operator's verifier key obtained elsewhere (default: the proof's own).
    ///   - checkpoint: a checkpoint obtained elsewhere that the proof must match (same size and root).
    /// - throws: `ProofFailure` naming the step; `AuditError.malformedProof` for unusable keys.
    public func verify(ledgerKey pinnedLedger: NoteVerifierKey? = nil, operatorKey pinnedOperator: NoteVerifierKey? = nil,
                       checkpoint external: String? = nil) throws -> RecordProofReport {
        func fail(_ step: String, _ reason: String) -> ProofFailure { ProofFailure(step: step, reason: reason) }
        let ledger: NoteVerifierKey, signer: NoteVerifierKey
        do {
            ledger = try pinnedLedger ?? NoteVerifierKey(ledgerKey)
            signer = try pinnedOperator ?? NoteVerifierKey(operatorKey)
        } catch {
            throw AuditError.malformedProof(field: "keys", reason: "\(error)")
        }

        for (pinned, named, role) in [(pinnedLedger, ledgerKey, "ledger"), (pinnedOperator, operatorKey, "operator")] {
            if let pinned, pinned.description != named {
                throw fail("keys", "the proof names the \(role) key \(named), not the one you trust (\(pinned.handle))")
            }
        }

        // 1. The record's bytes give its leaf; the leaf is in the record tree.
        let content = (try? JSONValue.parse(canonical))?["record"]
        guard let content, content != .null else { throw fail("record", "the canonical bytes are not a TrialChain record") }
        do {
            try ProofVerifier.verifyInclusion(index: recordIndex, size: recordTreeSize, leafHash: recordLeafHash.bytes,
                                              proof: recordProof.map(\.bytes), root: recordTreeRoot.bytes)
        } catch {
            throw fail("record tree", "the record (leaf \(recordLeafHash.hex)) is not at index \(recordIndex) of a tree of \(recordTreeSize) with root \(recordTreeRoot.hex): \(error)")
        }

        // 2. The attestation is signed by the operator key and attests exactly that tree.
        let envelope: DSSEEnvelope, statement: InTotoStatement
        do {
            envelope = try DSSEEnvelope(parsing: entry)
            statement = try envelope.statement()
        } catch {
            throw fail("attestation", "the entry is not a DSSE in-toto attestation: \(error)")
        }
        guard !envelope.verifiedSigners(among: [signer]).isEmpty else {
            throw fail("attestation", "the entry is not signed by the operator key \(signer.handle)")
        }
        guard statement.predicate["recordRoot"]?.stringValue == recordTreeRoot.hex,
              statement.predicate["recordCount"]?.integerValue == Int64(recordTreeSize) else {
            throw fail("attestation", "the attestation does not attest a record tree of \(recordTreeSize) records with root \(recordTreeRoot.hex)")
        }
        // The record's id is bound only through the attestation's first record id.
        let firstRecord = statement.predicate["firstRecord"]?.integerValue
        if let recordID {
            guard let firstRecord, recordID == firstRecord + Int64(recordIndex) else {
                throw fail("record", "the proof calls it record \(recordID), but its attestation "
                           + (firstRecord.map { "numbers it \($0 + Int64(recordIndex))" } ?? "binds no record id"))
            }
        }
        guard statement.predicate["trial"]?.stringValue == trial else {
            throw fail("attestation", "the attestation is for trial \(statement.predicate["trial"]?.stringValue ?? "?"), not \(trial)")
        }

        // 3. The attestation is entry `entryIndex` of the ledger at the checkpoint.
        let note: SignedNote, body: Checkpoint
        do {
            note = try SignedNote(parsing: checkpoint)
            body = try Checkpoint(parsing: note.text)
        } catch {
            throw fail("checkpoint", "not a signed checkpoint: \(error)")
        }
        do {
            _ = try note.verify(trusting: [ledger])
        } catch {
            throw fail("checkpoint", "not signed by the ledger key \(ledger.handle): \(error)")
        }
        guard body.origin == origin, ledger.name == origin else {
            throw fail("checkpoint", "the checkpoint's origin is \(body.origin), the proof's \(origin), the key's \(ledger.name): a proof for another ledger")
        }
        guard body.size == ledgerSize else { throw fail("checkpoint", "the checkpoint is of size \(body.size), the proof of \(ledgerSize)") }
        do {
            try ProofVerifier.verifyInclusion(index: entryIndex, size: ledgerSize, leafHash: RFC6962.leafHash(entry).bytes,
                                              proof: ledgerProof.map(\.bytes), root: body.root.bytes)
        } catch {
            throw fail("ledger", "the attestation is not entry \(entryIndex) of the ledger at the checkpoint of size \(ledgerSize): \(error)")
        }

        // 4. Optionally, the checkpoint is the one the auditor holds.
        if let external {
            guard let held = try? Checkpoint(parsing: try SignedNote(parsing: external).text) else {
                throw AuditError.malformedProof(field: "--checkpoint", reason: "not a signed checkpoint")
            }
            guard held.origin == body.origin, held.size == body.size, held.root == body.root else {
                throw fail("checkpoint", "the proof is against size \(body.size) root \(body.root.hex), the checkpoint given is size \(held.size) root \(held.root.hex)"
                           + (held.size != body.size ? ": make the proof at that size with `prove record … --size \(held.size)`" : ""))
            }
        }
        return RecordProofReport(recordID: firstRecord.map { $0 + Int64(recordIndex) }, content: content, stage: statement.predicate["stage"]?.stringValue ?? "?",
                                 entryIndex: entryIndex, checkpointSize: body.size, checkpointRoot: body.root,
                                 keysPinned: pinnedLedger != nil && pinnedOperator != nil)
    }
}
