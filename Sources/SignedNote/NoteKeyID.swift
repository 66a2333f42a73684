import Crypto

/// Signature types of c2sp.org/signed-note.
public enum NoteKeyType: UInt8, Sendable {
    /// A plain Ed25519 signature over the note text.
    case ed25519 = 0x01
    /// A c2sp.org/tlog-cosignature/v1 Ed25519 cosignature (timestamped).
    case cosignatureV1 = 0x04
}

/// Key IDs: the first four bytes of `SHA-256(name ‖ "\n" ‖ type ‖ public key)`, big-endian.
public enum NoteKeyID {
    /// The key ID of a key of `type` named `name` with public key `publicKey`.
    public static func compute(name: String, type: UInt8, publicKey: [UInt8]) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, type])
        hasher.update(data: publicKey)
        let digest = Array(hasher.finalize())
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// Eight lowercase hex digits.
    public static func hex(_ keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The four big-endian bytes of a key ID.
    public static func bytes(_ keyID: UInt32) -> [UInt8] {
        [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)]
    }

    /// A key name is non-empty and has no Unicode white space and no `+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "+" }
    }
}
