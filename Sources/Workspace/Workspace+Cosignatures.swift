import Foundation
import GRDB
import SignedNote

extension Workspace {
    /// Keeps a witness's cosignature of the checkpoint of `size` (after checking it).
    /// - throws: `WorkspaceError.noCheckpoint`, or `.outOfRange` when the line is not a valid
    ///   cosignature of that checkpoint by `witness`.
    public func addCosignature(_ signature: NoteSignature, size: UInt64, witness: NoteVerifierKey) throws {
        let checkpoint = try read { try $0.checkpoint(size: size) }
        let note = try SignedNote(parsing: checkpoint.note)
        do {
            try Cosignature(signature).verify(checkpointText: note.text, key: witness)
        } catch {
            throw WorkspaceError.outOfRange("not a valid cosignature of the checkpoint of size \(size) by \(witness.handle): \(error)")
        }
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO cosignatures (size, witness, line, added_at) VALUES (?, ?, ?, ?)",
                           arguments: [Int64(size), witness.handle, signature.line, clock.timestamp])
        }
    }

    /// The checkpoint of `size` (default: the latest) with every cosignature kept for it appended.
    public func cosignedCheckpoint(size: UInt64? = nil) throws -> String {
        let checkpoint = try read { try $0.checkpoint(size: size) }
        let lines = try read { ledger in
            try String.fetchAll(ledger.db, sql: "SELECT line FROM cosignatures WHERE size = ? ORDER BY witness", arguments: [Int64(checkpoint.size)])
        }
        return checkpoint.note + lines.joined()
    }

    /// Checks that every witness cosigned the latest checkpoint.
    /// - throws: `IntegrityFailure.externalCheckpoint`-style failures naming the witness.
    public func checkWitnesses(_ witnesses: [NoteVerifierKey]) throws -> UInt64 {
        let latest = try read { try $0.checkpoint() }
        let note = try SignedNote(parsing: try cosignedCheckpoint(size: latest.size))
        for witness in witnesses {
            guard witness.type == .cosignatureV1 else {
                throw IntegrityFailure.witness(name: witness.handle, reason: "is not a tlog-cosignature/v1 (type 0x04) witness key")
            }
            guard let line = note.signatures.first(where: { $0.name == witness.name && $0.keyID == witness.keyID }) else {
                let older = try read { ledger in
                    try Int64.fetchOne(ledger.db, sql: "SELECT max(size) FROM cosignatures WHERE witness = ?", arguments: [witness.handle])
                }
                throw IntegrityFailure.witness(name: witness.handle, reason: "has not cosigned the latest checkpoint (size \(latest.size))"
                                               + (older.map { "; it last cosigned size \($0)" } ?? "; it never cosigned this ledger"))
            }
            do {
                try Cosignature(line).verify(checkpointText: note.text, key: witness)
            } catch {
                throw IntegrityFailure.witness(name: witness.handle, reason: "its cosignature of size \(latest.size) does not verify: \(error)")
            }
        }
        return latest.size
    }
}
