/// Why a key, a signed note or a checkpoint was refused.
public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A verifier or private key string that is not in `name+hex8+base64` form.
    case malformedKey(String)
    /// A key whose stated key ID does not match its name, type and public key.
    case keyIDMismatch(name: String)
    /// A key of a type this implementation does not handle.
    case unsupportedKeyType(UInt8)
    /// Note text or signature lines that break c2sp.org/signed-note.
    case malformedNote(String)
    /// A signature by a known key that does not verify.
    case invalidSignature(name: String, keyID: UInt32)
    /// No signature by any of the trusted keys.
    case noTrustedSignature(names: [String])
    /// A checkpoint body that breaks c2sp.org/tlog-checkpoint.
    case malformedCheckpoint(String)
    /// A cosignature that breaks c2sp.org/tlog-cosignature.
    case malformedCosignature(String)

    public var description: String {
        switch self {
        case let .malformedKey(why): return "malformed key: \(why)"
        case let .keyIDMismatch(name): return "key \(name): the key ID does not match the name and public key"
        case let .unsupportedKeyType(type): return "unsupported key type 0x\(String(type, radix: 16))"
        case let .malformedNote(why): return "malformed signed note: \(why)"
        case let .invalidSignature(name, keyID):
            return "the signature by \(name) (key ID \(NoteKeyID.hex(keyID))) does not verify: the text was altered or the signature forged"
        case let .noTrustedSignature(names):
            let trusted = names.isEmpty ? "none given" : names.joined(separator: ", ")
            return "no signature by a trusted key (trusted: \(trusted))"
        case let .malformedCheckpoint(why): return "malformed checkpoint: \(why)"
        case let .malformedCosignature(why): return "malformed cosignature: \(why)"
        }
    }
}
