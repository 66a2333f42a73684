import Attestation
import Foundation
import SignedNote

extension Workspace {
    /// Checks that a ledger entry is a canonical DSSE envelope carrying an in-toto statement,
    /// signed by a key the trust policy allows to sign that kind of entry, and that the signature
    /// block it carries names the person the policy gives that key to.
    /// - throws: `IntegrityFailure.attestationInvalid` naming the entry and the problem.
    public func checkAttestation(_ entry: StoredEntry, policy: TrustPolicy) throws {
        try Workspace.checkAttestation(entry, policy: policy)
    }

    static func checkAttestation(_ entry: StoredEntry, policy: TrustPolicy) throws {
        let (envelope, statement) = try parseAttestation(entry)
        try checkAttestation(entry, envelope, statement, policy: policy)
    }

    /// The entry's DSSE envelope and the in-toto statement inside it.
    /// - throws: `IntegrityFailure.attestationInvalid` when it is neither.
    static func parseAttestation(_ entry: StoredEntry) throws -> (DSSEEnvelope, InTotoStatement) {
        do {
            let envelope = try DSSEEnvelope(parsing: entry.entry)
            return (envelope, try envelope.statement())
        } catch {
            throw IntegrityFailure.attestationInvalid(index: entry.index, reason: "\(error)")
        }
    }

    static func checkAttestation(_ entry: StoredEntry, _ envelope: DSSEEnvelope, _ statement: InTotoStatement, policy: TrustPolicy) throws {
        func fail(_ reason: String) -> IntegrityFailure { .attestationInvalid(index: entry.index, reason: reason) }
        guard envelope.canonicalBytes == entry.entry else { throw fail("the entry is not in RFC 8785 canonical form") }
        let kind = TrustPolicy.kind(of: statement)
        let verified = envelope.verifiedSigners(among: policy.signers.map(\.key))
        guard let key = verified.first, let signer = policy.signer(handle: key.handle) else {
            let named = envelope.signatures.map(\.keyid)
            if let unknown = named.first(where: { policy.signer(handle: $0) == nil }) {
                throw fail("\(kind) signed by key \(unknown), which the trust policy does not name: an unauthorised key")
            }
            throw fail("no valid signature by a key of the trust policy (\(kind), signatures by \(named.joined(separator: ", "))): the entry or its signature was altered")
        }
        guard signer.allows(kind) else {
            throw fail("signed by \(signer.name) (\(key.handle)), whom the trust policy does not allow to sign \(kind) (allowed: \(signer.maySign.joined(separator: ", ")))")
        }
        if let block = statement.predicate["signature"] {
            guard block["keyid"]?.stringValue == key.handle, block["name"]?.stringValue == signer.name else {
                throw fail("its signature names \(block["name"]?.stringValue ?? "?") (\(block["keyid"]?.stringValue ?? "?")), but the trust policy gives \(key.handle) to \(signer.name)")
            }
            guard let meaning = block["meaning"]?.stringValue, SignatureMeaning(rawValue: meaning) != nil, block["signedAt"]?.stringValue != nil else {
                throw fail("its signature block has no valid meaning and time")
            }
        }
    }

    /// The check with the workspace's own trust policy.
    public func checkAttestation(_ entry: StoredEntry) throws {
        try checkAttestation(entry, policy: try trustPolicy())
    }
}
