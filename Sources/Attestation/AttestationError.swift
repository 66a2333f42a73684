/// Why an attestation could not be read or did not verify.
public enum AttestationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes that are not JSON of the accepted subset.
    case malformedJSON(String)
    /// JSON that is not a DSSE envelope or in-toto statement; the string names the field.
    case malformedEnvelope(String)
    /// An envelope whose bytes are not its own canonical form.
    case notCanonical
    /// No signature by the expected key verifies over the envelope's PAE.
    case signatureInvalid(keyHandle: String)

    public var description: String {
        switch self {
        case let .malformedJSON(why): return "not valid JSON: \(why)"
        case let .malformedEnvelope(why): return "not a DSSE envelope with an in-toto statement: \(why)"
        case .notCanonical: return "the envelope is not in RFC 8785 canonical form"
        case let .signatureInvalid(handle): return "no valid signature by \(handle) over the envelope"
        }
    }
}
