import Crypto
import Foundation

/// An Ed25519 private key with its signed-note name.
///
/// Its text form is Go's `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`, which golang.org/x/mod's
/// `note` package and transparency-dev tools read.
public struct NoteSigner: Sendable {
    /// The key name.
    public let name: String
    /// The signature type the key signs as.
    public let type: NoteKeyType
    /// The 32-byte seed; the swift-crypto key is rebuilt from it when signing (it is not Sendable).
    private let seed: [UInt8]
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// A signer from a 32-byte Ed25519 seed.
    /// - throws: `NoteError.malformedKey` for a bad name or seed.
    public init(name: String, seed: [UInt8], type: NoteKeyType = .ed25519) throws {
        guard NoteKeyID.isValidName(name) else { throw NoteError.malformedKey("invalid key name \"\(name)\"") }
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw NoteError.malformedKey("an Ed25519 seed is 32 bytes")
        }
        self.name = name
        self.type = type
        self.seed = seed
        self.publicKey = Array(key.publicKey.rawRepresentation)
    }

    /// Parses `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`.
    /// - parameter type: sign as this type (a witness key is stored as 0x01 and signs as 0x04).
    /// - throws: `NoteError` naming what is wrong.
    public init(privateKeyText text: String, type: NoteKeyType = .ed25519) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw NoteError.malformedKey("expected PRIVATE+KEY+name+keyid+key")
        }
        guard let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == NoteKeyType.ed25519.rawValue else {
            throw NoteError.malformedKey("the private key must be base64 of 0x01 and a 32-byte seed")
        }
        try self.init(name: String(parts[2]), seed: Array(raw.dropFirst()), type: type)
        let stated = UInt32(parts[3], radix: 16)
        let plain = NoteKeyID.compute(name: name, type: NoteKeyType.ed25519.rawValue, publicKey: publicKey)
        guard stated == plain else { throw NoteError.keyIDMismatch(name: name) }
    }

    /// A new random key.
    public static func generate(name: String, type: NoteKeyType = .ed25519) throws -> NoteSigner {
        try NoteSigner(name: name, seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation), type: type)
    }

    /// The verifier key that checks this signer's signatures.
    public var verifierKey: NoteVerifierKey {
        // The name was validated and the key is 32 bytes, so this cannot fail.
        try! NoteVerifierKey(name: name, type: type, publicKey: publicKey)
    }

    /// The key ID written in front of each signature.
    public var keyID: UInt32 { verifierKey.keyID }

    /// The private-key text (`PRIVATE+KEY+…`), always with type 0x01 as Go writes it.
    public var privateKeyText: String {
        let plainID = NoteKeyID.compute(name: name, type: NoteKeyType.ed25519.rawValue, publicKey: publicKey)
        return "PRIVATE+KEY+\(name)+\(NoteKeyID.hex(plainID))+"
            + Data([NoteKeyType.ed25519.rawValue] + seed).base64EncodedString()
    }

    /// A plain RFC 8032 Ed25519 signature of `message` (deterministic).
    /// - throws: if the underlying library fails to sign.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        return Array(try key.signature(for: message))
    }

    /// Signs note text: returns the signature line's payload, `keyID ‖ signature`.
    /// - throws: `NoteError.malformedNote` when `text` is not valid note text.
    public func sign(noteText text: String) throws -> NoteSignature {
        guard type == .ed25519 else {
            throw NoteError.malformedKey("\(name) is a cosignature key: use Cosignature(cosigning:timestamp:witness:)")
        }
        try SignedNote.validateText(Array(text.utf8))
        return NoteSignature(name: name, keyID: keyID, signature: try signature(for: Array(text.utf8)))
    }
}
