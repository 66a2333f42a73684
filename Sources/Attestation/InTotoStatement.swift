import Foundation

/// An in-toto Statement v1: what was produced (subjects with digests) and a typed predicate.
public struct InTotoStatement: Equatable, Sendable {
    /// A subject: a named artifact and its digests.
    public struct Subject: Equatable, Sendable {
        /// The artifact's name (a path, for files).
        public let name: String
        /// Lowercase hex SHA-256 of the artifact's bytes.
        public let sha256: String
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// The statement type URI.
    public static let type = "https://in-toto.io/Statement/v1"

    /// The subjects, in the order given.
    public let subjects: [Subject]
    /// The predicate type URI, e.g. `https://trialchain.dev/anchor/v1`.
    public let predicateType: String
    /// The predicate object.
    public let predicate: JSONValue

    /// A statement from its parts.
    public init(subjects: [Subject], predicateType: String, predicate: JSONValue) {
        self.subjects = subjects
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// The statement as JSON.
    public var json: JSONValue {
        .object([
            "_type": .string(InTotoStatement.type),
            "subject": .array(subjects.map { .object(["name": .string($0.name), "digest": .object(["sha256": .string($0.sha256)])]) }),
            "predicateType": .string(predicateType),
            "predicate": predicate,
        ])
    }

    /// The canonical JSON bytes: the DSSE payload.
    public var canonicalBytes: [UInt8] { CanonicalJSON.encode(json) }

    /// Parses a statement.
    /// - throws: `AttestationError` naming the field that is wrong.
    public init(parsing bytes: some DataProtocol) throws {
        let value = try JSONValue.parse(bytes)
        guard value["_type"]?.stringValue == InTotoStatement.type else {
            throw AttestationError.malformedEnvelope("statement _type must be \(InTotoStatement.type)")
        }
        guard let predicateType = value["predicateType"]?.stringValue else {
            throw AttestationError.malformedEnvelope("statement predicateType must be a string")
        }
        guard let list = value["subject"]?.arrayValue else {
            throw AttestationError.malformedEnvelope("statement subject must be a list")
        }
        let subjects = try list.enumerated().map { offset, item -> Subject in
            guard let name = item["name"]?.stringValue, let digest = item["digest"]?["sha256"]?.stringValue else {
                throw AttestationError.malformedEnvelope("subject[\(offset)] needs a name and digest.sha256")
            }
            return Subject(name: name, sha256: digest)
        }
        self.init(subjects: subjects, predicateType: predicateType, predicate: value["predicate"] ?? .null)
    }
}
