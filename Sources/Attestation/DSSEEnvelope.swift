import Foundation
import SignedNote

/// A DSSE v1 envelope (secure-systems-lab/dsse): a payload, its type, and Ed25519 signatures
/// over `PAE(payloadType, payload)`.
public struct DSSEEnvelope: Equatable, Sendable {
    /// One signature: `keyid` is only a hint (TrialChain writes the signer's `name+hex8`).
    public struct Signature: Equatable, Sendable {
        public let keyid: String
        public let sig: [UInt8]
        public init(keyid: String, sig: [UInt8]) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    /// The in-toto payload type.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    /// The payload bytes (canonical JSON of a statement, for TrialChain's own envelopes).
    public let payload: [UInt8]
    /// The media type of the payload.
    public let payloadType: String
    /// The signatures, in order.
    public let signatures: [Signature]

    /// An envelope from its parts.
    public init(payload: [UInt8], payloadType: String, signatures: [Signature]) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// Signs `payload` as `payloadType` with `signer`.
    /// - throws: if signing fails.
    public init(signing payload: [UInt8], payloadType: String = DSSEEnvelope.inTotoPayloadType, with signer: NoteSigner) throws {
        let signature = try signer.signature(for: DSSEEnvelope.preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        self.init(payload: payload, payloadType: payloadType,
                  signatures: [Signature(keyid: signer.verifierKey.handle, sig: signature)])
    }

    /// `PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body`.
    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    /// The envelope as JSON.
    public var json: JSONValue {
        .object([
            "payload": .string(Data(payload).base64EncodedString()),
            "payloadType": .string(payloadType),
            "signatures": .array(signatures.map {
                .object(["keyid": .string($0.keyid), "sig": .string(Data($0.sig).base64EncodedString())])
            }),
        ])
    }

    /// The ledger entry: the envelope in RFC 8785 canonical JSON.
    public var canonicalBytes: [UInt8] { CanonicalJSON.encode(json) }

    /// Parses an envelope (standard or URL-safe base64 accepted).
    /// - throws: `AttestationError` naming the field that is wrong.
    public init(parsing bytes: some DataProtocol) throws {
        let value = try JSONValue.parse(bytes)
        guard let payloadText = value["payload"]?.stringValue, let payload = Base64.decode(payloadText) else {
            throw AttestationError.malformedEnvelope("\"payload\" must be a base64 string")
        }
        guard let payloadType = value["payloadType"]?.stringValue else {
            throw AttestationError.malformedEnvelope("\"payloadType\" must be a string")
        }
        guard let list = value["signatures"]?.arrayValue else {
            throw AttestationError.malformedEnvelope("\"signatures\" must be a list")
        }
        let signatures = try list.enumerated().map { offset, item -> Signature in
            guard let sigText = item["sig"]?.stringValue, let sig = Base64.decode(sigText) else {
                throw AttestationError.malformedEnvelope("signatures[\(offset)].sig must be a base64 string")
            }
            return Signature(keyid: item["keyid"]?.stringValue ?? "", sig: sig)
        }
        self.init(payload: payload, payloadType: payloadType, signatures: signatures)
    }

    /// The keys among `keys` that signed this envelope (signatures by other keys are ignored).
    public func verifiedSigners(among keys: [NoteVerifierKey]) -> [NoteVerifierKey] {
        let message = DSSEEnvelope.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        return keys.filter { key in signatures.contains { key.isValidSignature($0.sig, for: message) } }
    }

    /// The in-toto statement in the payload.
    /// - throws: `AttestationError` when the payload is not a statement.
    public func statement() throws -> InTotoStatement {
        guard payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw AttestationError.malformedEnvelope("payloadType is \"\(payloadType)\", expected \(DSSEEnvelope.inTotoPayloadType)")
        }
        return try InTotoStatement(parsing: payload)
    }
}

/// Base64 decoding that accepts the standard and URL-safe alphabets, padded or not.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.count % 4 != 0 { normalized.append("=") }
        return Data(base64Encoded: normalized).map(Array.init)
    }
}
