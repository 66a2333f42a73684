import Foundation

/// A c2sp.org/tlog-cosignature/v1 (Ed25519, type 0x04): a witness's statement that, as of its
/// timestamp, this checkpoint is the largest consistent tree it has seen for the origin.
///
/// Signature bytes after the key ID are `u64be timestamp ‖ Ed25519 signature` over
/// `"cosignature/v1\ntime <timestamp>\n" ‖ checkpoint text`.
public struct Cosignature: Equatable, Sendable {
    /// The witness's key name.
    public let name: String
    /// The witness's cosignature key ID (computed with type 0x04).
    public let keyID: UInt32
    /// Seconds since the Unix epoch.
    public let timestamp: UInt64
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]

    /// Reads a cosignature from a note signature line.
    /// - throws: `NoteError.malformedCosignature` when the payload is not 72 bytes.
    public init(_ line: NoteSignature) throws {
        guard line.signature.count == 72 else {
            throw NoteError.malformedCosignature("expected an 8-byte timestamp and a 64-byte signature, found \(line.signature.count) bytes")
        }
        self.name = line.name
        self.keyID = line.keyID
        self.timestamp = line.signature[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        self.signature = Array(line.signature[8...])
    }

    /// Cosigns checkpoint text with a witness key.
    /// - throws: `NoteError.malformedNote` for text that is not note text, or a signing failure.
    public init(cosigning checkpointText: String, timestamp: UInt64, witness: NoteSigner) throws {
        try SignedNote.validateText(Array(checkpointText.utf8))
        let key = try NoteVerifierKey(name: witness.name, type: .cosignatureV1, publicKey: witness.publicKey)
        self.name = witness.name
        self.keyID = key.keyID
        self.timestamp = timestamp
        self.signature = try witness.signature(for: Cosignature.message(checkpointText: checkpointText, timestamp: timestamp))
    }

    /// The signed message: `cosignature/v1\ntime <ts>\n` followed by the checkpoint text.
    public static func message(checkpointText: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpointText)".utf8)
    }

    /// The note signature line for this cosignature.
    public var noteSignature: NoteSignature {
        let time = (0..<8).map { UInt8(timestamp >> (56 - 8 * UInt64($0)) & 0xff) }
        return NoteSignature(name: name, keyID: keyID, signature: time + signature)
    }

    /// Checks the cosignature over `checkpointText` with a type-0x04 witness key.
    /// - throws: `NoteError.invalidSignature` when it does not verify.
    public func verify(checkpointText: String, key: NoteVerifierKey) throws {
        guard key.type == .cosignatureV1, key.name == name, key.keyID == keyID,
              key.isValidSignature(signature, for: Cosignature.message(checkpointText: checkpointText, timestamp: timestamp)) else {
            throw NoteError.invalidSignature(name: name, keyID: keyID)
        }
    }
}
