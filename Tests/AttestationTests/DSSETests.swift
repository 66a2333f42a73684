import Foundation
import SignedNote
import Testing
@testable import Attestation

@Suite("DSSE envelopes and in-toto statements")
struct DSSETests {
    let signer = try! NoteSigner(name: "example.org/operator", seed: Array(repeating: 7, count: 32))

    @Test func preAuthenticationEncodingMatchesTheSpecExample() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    func statement() -> InTotoStatement {
        InTotoStatement(subjects: [.init(name: "protocol.xml", sha256: String(repeating: "ab", count: 32))],
                        predicateType: "https://trialchain.dev/anchor/v1",
                        predicate: ["trial": "DEMO", "byteCount": 42])
    }

    @Test func aSignedEnvelopeRoundTripsAndVerifies() throws {
        let envelope = try DSSEEnvelope(signing: statement().canonicalBytes, with: signer)
        let bytes = envelope.canonicalBytes
        let parsed = try DSSEEnvelope(parsing: bytes)
        #expect(parsed == envelope)
        #expect(parsed.canonicalBytes == bytes)
        #expect(parsed.verifiedSigners(among: [signer.verifierKey]) == [signer.verifierKey])
        #expect(try parsed.statement() == statement())
        #expect(parsed.signatures[0].keyid == signer.verifierKey.handle)
        // Same statement, same key: Ed25519 is deterministic, so the entry bytes are identical.
        #expect(try DSSEEnvelope(signing: statement().canonicalBytes, with: signer).canonicalBytes == bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"payload":""#) && text.contains(#""payloadType":"application/vnd.in-toto+json""#))
    }

    @Test func anAlteredPayloadOrAnotherKeyDoesNotVerify() throws {
        let envelope = try DSSEEnvelope(signing: statement().canonicalBytes, with: signer)
        var payload = envelope.payload
        payload[payload.count / 2] ^= 1
        let altered = DSSEEnvelope(payload: payload, payloadType: envelope.payloadType, signatures: envelope.signatures)
        #expect(altered.verifiedSigners(among: [signer.verifierKey]).isEmpty)
        let retyped = DSSEEnvelope(payload: envelope.payload, payloadType: "text/plain", signatures: envelope.signatures)
        #expect(retyped.verifiedSigners(among: [signer.verifierKey]).isEmpty)
        let other = try NoteSigner(name: "someone-else", seed: Array(repeating: 9, count: 32))
        #expect(envelope.verifiedSigners(among: [other.verifierKey]).isEmpty)
    }

    @Test func urlSafeBase64IsAccepted() throws {
        let envelope = try DSSEEnvelope(signing: Array("??>>".utf8), payloadType: "text/plain", with: signer)
        let urlSafe = CanonicalJSON.string(envelope.json).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(try DSSEEnvelope(parsing: Array(urlSafe.utf8)).payload == envelope.payload)
    }

    @Test(arguments: [
        #"{"payloadType":"x","signatures":[]}"#,
        #"{"payload":"!!!","payloadType":"x","signatures":[]}"#,
        #"{"payload":"","signatures":[]}"#,
        #"{"payload":"","payloadType":"x","signatures":{}}"#,
        #"{"payload":"","payloadType":"x","signatures":[{"keyid":"k"}]}"#,
        #"[1,2]"#,
    ])
    func malformedEnvelopesNameTheField(json: String) {
        #expect(throws: AttestationError.self) { try DSSEEnvelope(parsing: Array(json.utf8)) }
    }

    @Test func statementsOfTheWrongTypeAreRefused() throws {
        #expect(throws: AttestationError.self) {
            try InTotoStatement(parsing: Array(#"{"_type":"https://in-toto.io/Statement/v0.1","subject":[],"predicateType":"x"}"#.utf8))
        }
        #expect(throws: AttestationError.self) {
            try InTotoStatement(parsing: Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"x"}"#.utf8))
        }
    }
}
