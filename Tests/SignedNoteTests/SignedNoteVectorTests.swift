import Foundation
import MerkleLog
import Testing
@testable import SignedNote

enum NoteVectors {
    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        let url = Bundle.module.url(forResource: "Vectors", withExtension: nil)!.appendingPathComponent(name)
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

struct SignedNoteFile: Decodable {
    struct Key: Decodable { let vkey: String; let skey: String?; let seed_hex: String? }
    struct Note: Decodable {
        let id: String
        let text: String
        let signed_note: String
        let verify_with: [String]
        let expect_verified_names: [String]
        let expect_unverified_names: [String]?
    }
    struct Sign: Decodable { let skey: String; let text: String; let expected_sig_b64: String }
    struct Body: Decodable { let id: String; let body: String; let root_hex: String; let signed_example: String? }
    let keys: [Key]
    let notes: [Note]
    let sign_from_skey: [Sign]
    let checkpoint_bodies: [Body]
}

struct DerivedFile: Decodable {
    struct Vector: Decodable {
        let id: String
        let body: String
        let signed_note: String
        let verify_with: [String]
        let expect_verified_names: [String]
        let cosignature_signed_message: String?
        let cosignature_timestamp: UInt64?
    }
    struct Request: Decodable { let body: String }
    let log_vkey: String
    let log_skey: String
    let witness_cosig_vkey: String
    let witness_skey: String
    let vectors: [Vector]
    let witness_add_checkpoint_request: Request
}

@Suite("Signed notes (golang sumdb/note, C2SP)")
struct SignedNoteVectorTests {
    let file: SignedNoteFile
    init() throws { file = try NoteVectors.load(SignedNoteFile.self, "signed_notes.json") }

    @Test func everyKeyParsesAndItsIDMatches() throws {
        #expect(file.keys.count >= 8)
        for key in file.keys {
            let parsed = try NoteVerifierKey(key.vkey)
            #expect(parsed.description == key.vkey, "round trip of \(key.vkey)")
            if let skey = key.skey {
                let signer = try NoteSigner(privateKeyText: skey, type: parsed.type)
                #expect(signer.publicKey == parsed.publicKey, "\(parsed.name): seed gives the vkey's public key")
                #expect(signer.privateKeyText == skey)
            }
            if let seed = key.seed_hex {
                #expect(try NoteSigner(name: parsed.name, seed: Hex.decode(seed)!).verifierKey == parsed)
            }
        }
    }

    @Test func tamperedKeysAreRejected() throws {
        let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        #expect(throws: NoteError.keyIDMismatch(name: "PeterNeumann")) { try NoteVerifierKey(good.replacingOccurrences(of: "c74f20a3", with: "c74f20a4")) }
        #expect(throws: NoteError.keyIDMismatch(name: "PeterNeuman")) { try NoteVerifierKey(good.replacingOccurrences(of: "PeterNeumann", with: "PeterNeuman")) }
        #expect(throws: NoteError.self) { try NoteVerifierKey("PeterNeumann+c74f20a3") }
        #expect(throws: NoteError.self) { try NoteVerifierKey("PeterNeumann+c74f20a3+AQ==") }
        #expect(throws: NoteError.unsupportedKeyType(0x09)) { try NoteVerifierKey("x+00000000+CRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
    }

    @Test func notesVerifyExactlyTheExpectedSigners() throws {
        for note in file.notes {
            let parsed = try SignedNote(parsing: note.signed_note)
            #expect(parsed.text == note.text, "\(note.id)")
            #expect(parsed.serialized == note.signed_note, "\(note.id) round trip")
            let keys = try note.verify_with.map(NoteVerifierKey.init)
            let verified = try parsed.verify(trusting: keys).map(\.name)
            #expect(Set(verified) == Set(note.expect_verified_names), "\(note.id)")
            for name in note.expect_unverified_names ?? [] { #expect(!verified.contains(name)) }
        }
    }

    @Test func signingIsByteExact() throws {
        for item in file.sign_from_skey {
            let signer = try NoteSigner(privateKeyText: item.skey)
            let signature = try signer.sign(noteText: item.text)
            let payload = Data(NoteKeyID.bytes(signature.keyID) + signature.signature).base64EncodedString()
            #expect(payload == item.expected_sig_b64)
        }
    }

    @Test func malformedNotesAreRejected() throws {
        let peter = file.notes[0]
        let text = peter.text
        let line = String(peter.signed_note.dropFirst(text.count + 1))
        let key = try NoteVerifierKey(peter.verify_with[0])
        // Sanity: the pieces reassemble into a valid note.
        try SignedNote(parsing: text + "\n" + line).verify(trusting: [key])

        let malformed: [(String, String)] = [
            ("text only, no blank line and no signatures", text),
            ("text + blank line, no signature lines", text + "\n"),
            ("signature line missing final newline", text + "\n" + line.dropLast()),
            ("text starting with control byte 0x01", "\u{01}" + text + "\n" + line),
            ("signature key name containing a space", text + "\n" + line.replacingOccurrences(of: "PeterNeumann", with: "Bad Name")),
            ("extra non-signature line after the signatures", text + "\n" + line + "abc\n"),
            ("more than 100 signatures", text + "\n" + String(repeating: line, count: 101)),
        ]
        for (what, note) in malformed {
            #expect(throws: NoteError.self, "\(what)") { try SignedNote(parsing: note) }
        }
        var invalidUTF8 = Array(text.utf8)
        invalidUTF8.insert(0xFF, at: 0)
        #expect(throws: NoteError.self, "text starting with 0xff") {
            try SignedNote(parsing: invalidUTF8 + Array(("\n" + line).utf8))
        }
        // 16 signatures must be accepted (C2SP minimum).
        #expect(try SignedNote(parsing: text + "\n" + String(repeating: line, count: 16)).signatures.count == 16)
    }

    @Test func aForgedSignatureByAKnownKeyRejectsTheNote() throws {
        let peter = file.notes[0]
        let key = try NoteVerifierKey(peter.verify_with[0])
        let altered = peter.signed_note.replacingOccurrences(of: "cryptography", with: "cryptographY")
        #expect(throws: NoteError.invalidSignature(name: "PeterNeumann", keyID: key.keyID)) {
            try SignedNote(parsing: altered).verify(trusting: [key])
        }
        let stranger = try NoteSigner.generate(name: "Stranger").verifierKey
        #expect(throws: NoteError.noTrustedSignature(names: ["Stranger"])) {
            try SignedNote(parsing: peter.signed_note).verify(trusting: [stranger])
        }
    }

    @Test func checkpointBodiesParse() throws {
        for body in file.checkpoint_bodies {
            let checkpoint = try Checkpoint(parsing: body.body)
            #expect(checkpoint.root.hex == body.root_hex)
            #expect(checkpoint.text == body.body)
            if let example = body.signed_example {
                let note = try SignedNote(parsing: example)
                #expect(note.signatures.map { NoteKeyID.hex($0.keyID) } == ["033de0ae", "8d66cf3f"])
                #expect(try Cosignature(note.signatures[1]).timestamp == 1_679_315_147)
            }
        }
        #expect(try Checkpoint(parsing: file.checkpoint_bodies[0].body).size == 123_456_789_012)
    }

    @Test(arguments: [
        "origin\n", "origin\n12\n", "origin\n012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "origin\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n", "origin\n1\nAAAA\n",
        "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=", "\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n",
    ])
    func malformedCheckpointsAreRejected(body: String) {
        #expect(throws: NoteError.self) { try Checkpoint(parsing: body) }
    }
}

@Suite("Derived checkpoints and cosignatures")
struct DerivedCheckpointTests {
    let file: DerivedFile
    init() throws { file = try NoteVectors.load(DerivedFile.self, "derived_checkpoints.json") }

    @Test func checkpointsAreSignedByteForByte() throws {
        let log = try NoteSigner(privateKeyText: file.log_skey)
        #expect(log.verifierKey.description == file.log_vkey)
        let witness = try NoteSigner(privateKeyText: file.witness_skey, type: .cosignatureV1)
        #expect(witness.verifierKey.description == file.witness_cosig_vkey)
        for vector in file.vectors {
            let checkpoint = try Checkpoint(parsing: vector.body)
            var note = try checkpoint.signed(by: log)
            if let timestamp = vector.cosignature_timestamp {
                #expect(Cosignature.message(checkpointText: vector.body, timestamp: timestamp) == Array(vector.cosignature_signed_message!.utf8))
                note.append(try Cosignature(cosigning: vector.body, timestamp: timestamp, witness: witness).noteSignature)
            }
            #expect(note.serialized == vector.signed_note, "\(vector.id)")
            let parsed = try SignedNote(parsing: vector.signed_note)
            let verified = try parsed.verify(trusting: vector.verify_with.map(NoteVerifierKey.init)).map(\.name)
            #expect(verified == vector.expect_verified_names, "\(vector.id)")
        }
    }

    @Test func checkpointsMatchTheClassicTree() throws {
        // Roots of sizes 6 and 8 of the RFC 6962 classic tree (rfc6962_classic.json).
        let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map { Hex.decode($0)! }
        let tree = InMemoryTree(entries: leaves)
        for vector in file.vectors {
            let checkpoint = try Checkpoint(parsing: vector.body)
            #expect(checkpoint.root == tree.root(size: checkpoint.size))
        }
    }

    @Test func aCosignatureOverOtherTextFails() throws {
        let vector = file.vectors[1]
        let parsed = try SignedNote(parsing: vector.signed_note)
        let cosignature = try Cosignature(parsed.signatures[1])
        let key = try NoteVerifierKey(file.witness_cosig_vkey)
        try cosignature.verify(checkpointText: vector.body, key: key)
        #expect(throws: NoteError.self) { try cosignature.verify(checkpointText: file.vectors[2].body, key: key) }
    }

    @Test func witnessRequestBodyCarriesTheSize8Checkpoint() throws {
        // tlog-witness add-checkpoint: "old 6", proof lines, blank line, signed checkpoint.
        let body = file.witness_add_checkpoint_request.body
        let parts = body.components(separatedBy: "\n\n")
        let header = parts[0].split(separator: "\n").map(String.init)
        #expect(header[0] == "old 6")
        let proof = header.dropFirst().map { Array(Data(base64Encoded: $0)!) }
        let signed = try SignedNote(parsing: String(body.dropFirst(parts[0].count + 2)))
        try signed.verify(trusting: [try NoteVerifierKey(file.log_vkey)])
        let new = try Checkpoint(parsing: signed.text)
        let old = try Checkpoint(parsing: file.vectors[0].body)
        try ProofVerifier.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root.bytes, newRoot: new.root.bytes, proof: proof)
    }
}
