import Foundation
import MerkleLog
import Testing
@testable import SignedNote

@Suite("Signature lines have one encoding")
struct CanonicalEncodingTests {
    /// Found by fuzzing: base64 whose last character carries stray bits decodes to the same
    /// signature, so one note could be written several ways. Such lines are refused.
    @Test func straySignatureBitsAreRefused() throws {
        let signer = try NoteSigner.generate(name: "example.org/log")
        let note = try Checkpoint(origin: "example.org/log", size: 3, root: RFC6962.leafHash([1])).signed(by: signer).serialized
        _ = try SignedNote(parsing: note)
        // 68 signature bytes end in "X=" where X's low 4 bits are padding: set one of them.
        let line = note.split(separator: "\n").last!
        let encoded = String(line.split(separator: " ").last!)
        #expect(encoded.hasSuffix("="))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let last = encoded[encoded.index(encoded.endIndex, offsetBy: -2)]
        let value = alphabet.firstIndex(of: last)!
        let stray = String(alphabet[value | 1 == value ? value & ~1 : value | 1])
        let altered = String(encoded.dropLast(2)) + stray + "="
        #expect(Data(base64Encoded: altered) == Data(base64Encoded: encoded), "Foundation decodes both to the same bytes")
        #expect(throws: NoteError.self) { try SignedNote(parsing: note.replacingOccurrences(of: encoded, with: altered)) }
    }
}
