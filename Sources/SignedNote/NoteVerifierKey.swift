import Crypto
import Foundation

/// A public key in c2sp.org/signed-note verifier-key form: `name+hex8(keyID)+base64(type ‖ key)`.
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// The key name, as it appears in signature lines.
    public let name: String
    /// The key ID, as it appears at the start of each signature.
    public let keyID: UInt32
    /// The signature type.
    public let type: NoteKeyType
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// Builds a verifier key, computing its key ID.
    /// - throws: `NoteError.malformedKey` for an invalid name or a key that is not 32 bytes.
    public init(name: String, type: NoteKeyType, publicKey: [UInt8]) throws {
        guard NoteKeyID.isValidName(name) else { throw NoteError.malformedKey("invalid key name \"\(name)\"") }
        guard publicKey.count == 32 else { throw NoteError.malformedKey("an Ed25519 public key is 32 bytes, not \(publicKey.count)") }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = NoteKeyID.compute(name: name, type: type.rawValue, publicKey: publicKey)
    }

    /// Parses `name+hex8+base64(type ‖ key)`, checking that the key ID matches.
    /// - throws: `NoteError` naming what is wrong.
    public init(_ text: String) throws {
        // The base64 part may itself contain '+': split from the left at most twice.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw NoteError.malformedKey("expected name+keyid+key") }
        let name = String(parts[0])
        guard parts[1].count == 8, let keyID = UInt32(parts[1], radix: 16) else {
            throw NoteError.malformedKey("the key ID must be 8 hex digits")
        }
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count >= 1 else {
            throw NoteError.malformedKey("the key is not base64")
        }
        guard let type = NoteKeyType(rawValue: raw[raw.startIndex]) else { throw NoteError.unsupportedKeyType(raw[raw.startIndex]) }
        try self.init(name: name, type: type, publicKey: Array(raw.dropFirst()))
        guard self.keyID == keyID else { throw NoteError.keyIDMismatch(name: name) }
    }

    /// The verifier-key text.
    public var description: String {
        "\(name)+\(NoteKeyID.hex(keyID))+" + Data([type.rawValue] + publicKey).base64EncodedString()
    }

    /// The `name+hex8` handle used as a DSSE `keyid` hint.
    public var handle: String { "\(name)+\(NoteKeyID.hex(keyID))" }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
