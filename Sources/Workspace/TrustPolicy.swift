import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog
import SignedNote

/// Which keys may sign which kinds of ledger entries, and whose they are.
///
/// An entry's kind is its stage kind (`ingest/protocol`, `ingest/consents`,
/// `ingest/measurements`, `contract`, `report`), `anchor`, or `signature/<meaning>` for a
/// review or approval (`signature/reviewed`, `signature/approved`). A rule is a kind, a prefix
/// ending in `*` (`ingest/*`) or `*`. `verify` refuses any entry whose signer is not in the
/// policy, or may not sign its kind, and any signature that names another person than the
/// policy does for its key.
///
/// Stored as canonical JSON in `<workspace>/trust-policy.json`; every change is anchored in the
/// ledger. An auditor can verify against a policy of their own (`verify --trust-policy FILE`).
public struct TrustPolicy: Equatable, Sendable {
    /// A trusted signer.
    public struct Signer: Equatable, Sendable {
        public var key: NoteVerifierKey
        /// The signer's printed name (21 CFR Part 11 §11.50).
        public var name: String
        /// The kinds of entry the key may sign.
        public var maySign: [String]
        /// The sites the key may sign submissions for (`submission` in `maySign` as well); a
        /// key without sites submits for none, whatever its rules (`*` included).
        public var sites: [String]

        public init(key: NoteVerifierKey, name: String, maySign: [String], sites: [String] = []) {
            self.key = key
            self.name = name
            self.maySign = maySign
            self.sites = sites
        }

        /// Whether the signer may sign a submission of measurements for `site`.
        public func maySubmit(for site: String) -> Bool {
            maySign.contains(Submission.kind) && sites.contains(site)
        }

        /// Whether the signer may sign an entry of `kind`.
        public func allows(_ kind: String) -> Bool {
            maySign.contains { rule in rule == "*" || rule == kind || (rule.hasSuffix("*") && kind.hasPrefix(rule.dropLast())) }
        }
    }

    public var signers: [Signer]
    /// Every measurement stage must ingest site-signed submissions only (from the entry after the
    /// one that anchors this policy on).
    public var requireSubmissions: Bool

    public init(signers: [Signer], requireSubmissions: Bool = false) {
        self.signers = signers
        self.requireSubmissions = requireSubmissions
    }

    /// The signer whose key has this `name+hex8` handle.
    public func signer(handle: String) -> Signer? { signers.first { $0.key.handle == handle } }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["version": 1, "signers": .array(signers.map {
            var signer: [String: JSONValue] = ["key": .string($0.key.description), "name": .string($0.name), "maySign": .array($0.maySign.map(JSONValue.string))]
            if !$0.sites.isEmpty { signer["sites"] = .array($0.sites.map(JSONValue.string)) }
            return .object(signer)
        })]
        // Written only when set, so policies without submissions keep their bytes.
        if requireSubmissions { object["requireSubmissions"] = .bool(true) }
        return .object(object)
    }

    public var canonicalBytes: [UInt8] { CanonicalJSON.encode(json) }

    /// Reads a policy.
    /// - throws: `WorkspaceError.trustPolicy` naming the problem.
    public init(bytes: [UInt8], file: String) throws {
        func fail(_ reason: String) -> WorkspaceError { .trustPolicy(file: file, reason: reason) }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw fail("not JSON: \(error)") }
        guard value["version"] == 1, let list = value["signers"]?.arrayValue else { throw fail("expected {\"version\":1,\"signers\":[…]}") }
        signers = try list.enumerated().map { index, entry in
            guard let keyText = entry["key"]?.stringValue, let name = entry["name"]?.stringValue, !name.isEmpty,
                  let rules = entry["maySign"]?.arrayValue?.compactMap(\.stringValue), !rules.isEmpty else {
                throw fail("signers[\(index)]: expected key, name and a non-empty maySign list")
            }
            var sites: [String] = []
            if let listed = entry["sites"] {
                guard let array = listed.arrayValue?.compactMap(\.stringValue), array.count == listed.arrayValue?.count, !array.isEmpty else {
                    throw fail("signers[\(index)].sites: expected a non-empty list of site ids")
                }
                sites = array
            }
            do {
                return Signer(key: try NoteVerifierKey(keyText), name: name, maySign: rules, sites: sites)
            } catch {
                throw fail("signers[\(index)].key: \(error)")
            }
        }
        guard !signers.isEmpty else { throw fail("no signers: nothing could be verified") }
        switch value["requireSubmissions"] {
        case nil: requireSubmissions = false
        case .bool(true)?: requireSubmissions = true
        default: throw fail("requireSubmissions: expected true, or no such field")
        }
    }

    /// The kind of a ledger entry's statement, for the policy.
    public static func kind(of statement: InTotoStatement) -> String {
        switch statement.predicateType {
        case Workspace.stagePredicateType: return statement.predicate["kind"]?.stringValue ?? "stage"
        case Workspace.anchorPredicateType: return "anchor"
        case Workspace.signaturePredicateType: return "signature/" + (statement.predicate["signature"]?["meaning"]?.stringValue ?? "?")
        case Workspace.erasurePredicateType: return "erasure"
        default: return statement.predicateType
        }
    }
}

extension Workspace {
    /// The trust policy in force: the latest one anchored in the ledger, else the genesis policy
    /// (the operator key may sign everything, under the printed name the first entry it signed
    /// carries). `trust-policy.json` is only a readable copy: editing it changes nothing.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the anchored policy's blob is missing
    ///   or unreadable.
    public func trustPolicy() throws -> TrustPolicy {
        try read { ledger in try trustPolicy(ledger.db) }
    }

    /// The trust policy in force, read on a connection the caller holds (inside a write, say).
    func trustPolicy(_ db: Database) throws -> TrustPolicy {
            if let (sha256, bytes) = try latestAnchored(Workspace.trustPolicySubject, what: "the anchored trust policy", db) {
                return try TrustPolicy(bytes: bytes, file: "the anchored trust policy (sha256 \(sha256.prefix(12))…)")
            }
            return TrustPolicy(signers: [.init(key: operatorKey, name: try genesisOperatorName(db), maySign: ["*"])])
    }

    /// The latest version of a file anchored under a reserved name (the trust policy, the token
    /// list): its digest and its bytes, checked against the digest.
    /// - throws: `WorkspaceError.ledgerInconsistent` when its blob is missing or altered.
    func latestAnchored(_ name: String, what: String, _ db: Database) throws -> (sha256: String, bytes: [UInt8])? {
        guard let sha256 = try String.fetchOne(db, sql: "SELECT sha256 FROM anchored_files WHERE name = ? ORDER BY entry_idx DESC LIMIT 1",
                                               arguments: [name]) else { return nil }
        return (sha256, try Workspace.objectBytes(sha256: sha256, name: what, in: objects))
    }

    /// The genesis operator's printed name: the one in the first entry the operator signed; before
    /// any entry, the name `init` wrote to the readable copy.
    func genesisOperatorName(_ db: Database) throws -> String {
        let entries = try Row.fetchCursor(db, sql: "SELECT entry FROM ledger_entries ORDER BY idx")
        while let row = try entries.next() {
            guard let envelope = try? DSSEEnvelope(parsing: Array(row["entry"] as Data)),
                  envelope.signatures.contains(where: { $0.keyid == operatorKey.handle }) else { continue }
            if let name = (try? envelope.statement())?.predicate["signature"]?["name"]?.stringValue, !name.isEmpty { return name }
            break
        }
        if let data = FileManager.default.contents(atPath: layout.trustPolicy.path),
           let copy = try? TrustPolicy(bytes: Array(data), file: layout.trustPolicy.path),
           let signer = copy.signer(handle: operatorKey.handle) {
            return signer.name
        }
        return operatorKey.name
    }

    /// The operator's printed name, from the trust policy.
    public func signerName(for key: NoteVerifierKey) throws -> String {
        try trustPolicy().signer(handle: key.handle)?.name ?? key.name
    }

    /// Replaces the trust policy and anchors the new one in the ledger.
    @discardableResult
    public func setTrustPolicy(_ policy: TrustPolicy) throws -> AppendResult {
        let previous = FileManager.default.contents(atPath: layout.trustPolicy.path)
        try PolicyFile.atomicWrite(policy.canonicalBytes, to: layout.trustPolicy)
        do {
            return try anchorFiles([(url: layout.trustPolicy, name: Workspace.trustPolicySubject)]).batch
        } catch {
            if let previous { try? PolicyFile.atomicWrite(Array(previous), to: layout.trustPolicy) }
            throw error
        }
    }
}

/// Atomic small-file writes.
enum PolicyFile {
    static func atomicWrite(_ bytes: [UInt8], to url: URL) throws {
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw WorkspaceError.storage("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
