import Attestation
import Foundation
import MerkleLog
import SignedNote

/// A self-contained proof that one record was anchored: the record's canonical bytes (with its
/// salt), its inclusion in its stage run's record tree, the signed attestation that names that
/// tree's root, the attestation's inclusion in the ledger, and the signed checkpoint.
///
/// Two RFC 6962 inclusion proofs: record → record root (attested), attestation entry → checkpoint
/// root (signed). Any RFC 6962 verifier checks each; `verify` checks everything.
public struct RecordProof: Equatable, Sendable {
    public static let type = "https://trialchain.dev/record-proof/v1"

    public var trial: String
    public var origin: String
    /// The record's id in the workspace, present only when the attestation binds it (its
    /// `firstRecord` plus the record's index), and its canonical bytes `{"record":…,"salt":"…"}`.
    public var recordID: Int64?
    public var canonical: [UInt8]
    /// Its position in its run's record tree.
    public var recordIndex: UInt64
    public var recordTreeSize: UInt64
    public var recordTreeRoot: TreeHash
    public var recordProof: [TreeHash]
    /// The attestation (a DSSE envelope, canonical JSON) and its ledger position.
    public var entryIndex: UInt64
    public var entry: [UInt8]
    public var ledgerSize: UInt64
    public var ledgerProof: [TreeHash]
    /// The checkpoint of `ledgerSize`, exactly as signed.
    public var checkpoint: String
    /// The workspace's verifier keys, for convenience: a careful auditor compares them with keys
    /// obtained elsewhere (`verify-proof --ledger-key/--operator-key`).
    public var ledgerKey: String
    public var operatorKey: String

    public init(trial: String, origin: String, recordID: Int64?, canonical: [UInt8], recordIndex: UInt64, recordTreeSize: UInt64,
                recordTreeRoot: TreeHash, recordProof: [TreeHash], entryIndex: UInt64, entry: [UInt8], ledgerSize: UInt64,
                ledgerProof: [TreeHash], checkpoint: String, ledgerKey: String, operatorKey: String) {
        self.trial = trial
        self.origin = origin
        self.recordID = recordID
        self.canonical = canonical
        self.recordIndex = recordIndex
        self.recordTreeSize = recordTreeSize
        self.recordTreeRoot = recordTreeRoot
        self.recordProof = recordProof
        self.entryIndex = entryIndex
        self.entry = entry
        self.ledgerSize = ledgerSize
        self.ledgerProof = ledgerProof
        self.checkpoint = checkpoint
        self.ledgerKey = ledgerKey
        self.operatorKey = operatorKey
    }

    /// The record's leaf hash.
    public var recordLeafHash: TreeHash { RFC6962.leafHash(canonical) }

    /// The proof as canonical JSON (bytes base64, hashes hex). The record's content is repeated
    /// in clear under `record.content` for reading; only `record.canonical` is proven.
    public var json: JSONValue {
        let content = (try? JSONValue.parse(canonical))?["record"] ?? .null
        return [
            "type": .string(RecordProof.type), "trial": .string(trial), "origin": .string(origin),
            "record": .object(recordFields(content)),
            "recordTree": ["index": .integer(Int64(recordIndex)), "size": .integer(Int64(recordTreeSize)), "root": .string(recordTreeRoot.hex),
                           "proof": .array(recordProof.map { .string($0.hex) })],
            "attestation": ["index": .integer(Int64(entryIndex)), "entry": .string(Data(entry).base64EncodedString()),
                            "leafHash": .string(RFC6962.leafHash(entry).hex)],
            "ledger": ["size": .integer(Int64(ledgerSize)), "proof": .array(ledgerProof.map { .string($0.hex) })],
            "checkpoint": .string(checkpoint),
            "keys": ["ledger": .string(ledgerKey), "operator": .string(operatorKey)],
        ]
    }

    private func recordFields(_ content: JSONValue) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["canonical": .string(Data(canonical).base64EncodedString()),
                                           "leafHash": .string(recordLeafHash.hex), "content": content]
        if let recordID { fields["id"] = .integer(recordID) }
        return fields
    }

    /// Reads a proof file.
    /// - throws: `AuditError.malformedProof` naming the field.
    public init(json value: JSONValue) throws {
        func fail(_ field: String, _ reason: String = "missing or of the wrong type") -> AuditError { .malformedProof(field: field, reason: reason) }
        func string(_ path: String...) throws -> String {
            var node: JSONValue? = value
            for key in path { node = node?[key] }
            guard let text = node?.stringValue else { throw fail(path.joined(separator: ".")) }
            return text
        }
        func integer(_ path: String...) throws -> UInt64 {
            var node: JSONValue? = value
            for key in path { node = node?[key] }
            guard let number = node?.integerValue, number >= 0 else { throw fail(path.joined(separator: ".")) }
            return UInt64(number)
        }
        func base64(_ path: String...) throws -> [UInt8] {
            var node: JSONValue? = value
            for key in path { node = node?[key] }
            guard let text = node?.stringValue, let data = Data(base64Encoded: text) else { throw fail(path.joined(separator: "."), "expected base64") }
            return Array(data)
        }
        func hash(_ text: String, _ field: String) throws -> TreeHash {
            guard let hash = TreeHash(hex: text) else { throw fail(field, "expected 64 hex digits") }
            return hash
        }
        func hashes(_ path: String...) throws -> [TreeHash] {
            var node: JSONValue? = value
            for key in path { node = node?[key] }
            guard let list = node?.arrayValue, list.count <= 64 else { throw fail(path.joined(separator: "."), "expected a list of at most 64 hashes") }
            return try list.map { try hash($0.stringValue ?? "", path.joined(separator: ".")) }
        }
        guard value["type"]?.stringValue == RecordProof.type else {
            throw fail("type", "expected \(RecordProof.type): this is not a TrialChain record proof")
        }
        self.init(trial: try string("trial"), origin: try string("origin"), recordID: value["record"]?["id"] == nil ? nil : Int64(try integer("record", "id")),
                  canonical: try base64("record", "canonical"), recordIndex: try integer("recordTree", "index"),
                  recordTreeSize: try integer("recordTree", "size"), recordTreeRoot: try hash(try string("recordTree", "root"), "recordTree.root"),
                  recordProof: try hashes("recordTree", "proof"), entryIndex: try integer("attestation", "index"),
                  entry: try base64("attestation", "entry"), ledgerSize: try integer("ledger", "size"), ledgerProof: try hashes("ledger", "proof"),
                  checkpoint: try string("checkpoint"), ledgerKey: try string("keys", "ledger"), operatorKey: try string("keys", "operator"))
        // Nothing in the file may disagree with what is proven: the content shown, the leaf
        // hashes stated, the encodings. The file must be exactly this proof.
        guard json == value else {
            let differing = (value.objectValue ?? [:]).keys.sorted().first { json[$0] != value[$0] } ?? "(top)"
            throw fail(differing, "the file disagrees with what its bytes prove (a field was changed, added or re-encoded)")
        }
    }
}
