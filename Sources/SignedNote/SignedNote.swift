import Foundation

/// One signature line of a signed note: `— name base64(keyID ‖ signature)`.
public struct NoteSignature: Equatable, Sendable {
    /// The signer's key name.
    public let name: String
    /// The key ID (first four bytes of the base64 payload).
    public let keyID: UInt32
    /// The bytes after the key ID: 64 for Ed25519, 8 + 64 for a cosignature/v1.
    public let signature: [UInt8]

    /// A signature line's parts.
    public init(name: String, keyID: UInt32, signature: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// The line as it appears in a note, newline included.
    public var line: String {
        "\u{2014} \(name) " + Data(NoteKeyID.bytes(keyID) + signature).base64EncodedString() + "\n"
    }
}

/// A c2sp.org/signed-note: UTF-8 text, a blank line, and one or more signature lines.
public struct SignedNote: Equatable, Sendable {
    /// The signed text, ending in a newline.
    public let text: String
    /// The signature lines, in order.
    public private(set) var signatures: [NoteSignature]

    /// The most signature lines accepted, as Go's `note` package (C2SP requires at least 16).
    public static let maximumSignatures = 100

    /// A note from its text and signatures.
    /// - throws: `NoteError.malformedNote` when the text is not valid note text.
    public init(text: String, signatures: [NoteSignature]) throws {
        try SignedNote.validateText(Array(text.utf8))
        self.text = text
        self.signatures = signatures
    }

    /// Parses a signed note, splitting text from signatures at the last blank line.
    /// - throws: `NoteError.malformedNote` naming the rule broken.
    public init(parsing bytes: [UInt8]) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw NoteError.malformedNote("not valid UTF-8") }
        guard let split = SignedNote.lastBlankLine(bytes) else {
            throw NoteError.malformedNote("no blank line between the text and the signatures")
        }
        let textBytes = Array(bytes[..<(split + 1)])
        try SignedNote.validateText(textBytes)
        let signatureBytes = bytes[(split + 2)...]
        guard !signatureBytes.isEmpty else { throw NoteError.malformedNote("no signature lines") }
        guard signatureBytes.last == 0x0A else { throw NoteError.malformedNote("the last signature line does not end in a newline") }
        var signatures: [NoteSignature] = []
        for rawLine in signatureBytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            signatures.append(try SignedNote.parseSignatureLine(String(decoding: rawLine, as: UTF8.self)))
            if signatures.count > SignedNote.maximumSignatures {
                throw NoteError.malformedNote("more than \(SignedNote.maximumSignatures) signatures")
            }
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    /// Parses a signed note from a string.
    /// - throws: `NoteError.malformedNote` naming the rule broken.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// The serialised note: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Adds a signature line.
    public mutating func append(_ signature: NoteSignature) {
        signatures.append(signature)
    }

    /// Checks the signatures against trusted keys, following the signed-note verifier rules:
    /// unknown (name, key ID) pairs are ignored, a known key's bad signature rejects the note,
    /// and at least one known signature must verify.
    /// - returns: the trusted keys whose signatures verified, in signature order.
    /// - throws: `NoteError.invalidSignature` or `NoteError.noTrustedSignature`.
    @discardableResult
    public func verify(trusting keys: [NoteVerifierKey]) throws -> [NoteVerifierKey] {
        var verified: [NoteVerifierKey] = []
        let message = Array(text.utf8)
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else { continue }
            let valid: Bool
            switch key.type {
            case .ed25519:
                valid = key.isValidSignature(signature.signature, for: message)
            case .cosignatureV1:
                valid = (try? Cosignature(signature).verify(checkpointText: text, key: key)) != nil
            }
            guard valid else { throw NoteError.invalidSignature(name: key.name, keyID: key.keyID) }
            if !verified.contains(key) { verified.append(key) }
        }
        guard !verified.isEmpty else { throw NoteError.noTrustedSignature(names: keys.map(\.name)) }
        return verified
    }

    /// Note text is UTF-8, ends in a newline, and has no control characters but newlines.
    static func validateText(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty, bytes.last == 0x0A else { throw NoteError.malformedNote("the text must end in a newline") }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw NoteError.malformedNote("the text is not valid UTF-8") }
        for scalar in string.unicodeScalars where scalar != "\n" && (scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)) {
            throw NoteError.malformedNote("the text contains control character U+\(String(format: "%04X", scalar.value))")
        }
    }

    private static func lastBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
            index -= 1
        }
        return nil
    }

    private static func parseSignatureLine(_ line: String) throws -> NoteSignature {
        guard line.hasPrefix("\u{2014} ") else {
            throw NoteError.malformedNote("a signature line must start with an em dash and a space: \"\(line.prefix(40))\"")
        }
        let rest = line.dropFirst(2)
        let parts = rest.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw NoteError.malformedNote("a signature line is \"— name signature\": \"\(line.prefix(60))\"") }
        let name = String(parts[0])
        guard NoteKeyID.isValidName(name) else { throw NoteError.malformedNote("invalid key name \"\(name)\"") }
        guard let raw = Data(base64Encoded: String(parts[1])), raw.count > 4 else {
            throw NoteError.malformedNote("the signature by \(name) is not base64 of a key ID and a signature")
        }
        // One encoding per signature: base64 with stray bits in its last character would let
        // the same signature be written several ways (found by fuzzing).
        guard raw.base64EncodedString() == parts[1] else {
            throw NoteError.malformedNote("the signature by \(name) is not in canonical base64")
        }
        let bytes = Array(raw)
        let keyID = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        return NoteSignature(name: name, keyID: keyID, signature: Array(bytes[4...]))
    }
}
