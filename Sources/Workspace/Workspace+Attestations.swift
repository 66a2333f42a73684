import Attestation
import Foundation
import SignedNote

extension Workspace {
    /// Checks that a ledger entry is a canonical DSSE envelope signed by the operator key and
    /// carrying an in-toto statement.
    /// - throws: `IntegrityFailure.attestationInvalid` naming the entry and the problem.
    public func checkAttestation(_ entry: StoredEntry) throws {
        let envelope: DSSEEnvelope
        let statement: InTotoStatement
        do {
            envelope = try DSSEEnvelope(parsing: entry.entry)
            statement = try envelope.statement()
        } catch {
            throw IntegrityFailure.attestationInvalid(index: entry.index, reason: "\(error)")
        }
        guard envelope.canonicalBytes == entry.entry else {
            throw IntegrityFailure.attestationInvalid(index: entry.index, reason: "the entry is not in RFC 8785 canonical form")
        }
        guard !envelope.verifiedSigners(among: [operatorKey]).isEmpty else {
            throw IntegrityFailure.attestationInvalid(index: entry.index,
                reason: "no valid signature by the operator key \(operatorKey.handle) (\(statement.predicateType))")
        }
    }
}
