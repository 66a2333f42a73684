import Attestation
import Crypto
import Foundation
import GRDB
import MerkleLog

/// What a bearer token lets its holder read over HTTP (`trialchain serve`).
public enum AccessRole: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Follows the log: entries as well as hashes.
    case monitor
    /// Everything read-only.
    case auditor
    /// A site: submits for itself and reads its own rejects (submissions are not built yet).
    case site(String)

    /// Parses `monitor`, `auditor` or `site:<id>`.
    public init?(_ text: String) {
        switch text {
        case "monitor": self = .monitor
        case "auditor": self = .auditor
        default:
            guard text.hasPrefix("site:") else { return nil }
            let id = String(text.dropFirst(5))
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
            self = .site(id)
        }
    }

    public var description: String {
        switch self {
        case .monitor: return "monitor"
        case .auditor: return "auditor"
        case let .site(id): return "site:\(id)"
        }
    }

    /// Whether the role may read ledger entries (which name pseudonymous participants).
    public var readsEntries: Bool { self == .monitor || self == .auditor }
}

/// A bearer token as the workspace keeps it: its name, role and the SHA-256 of the token, never
/// the token itself.
public struct AccessToken: Equatable, Sendable {
    public let name: String
    public let role: AccessRole
    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    public let sha256: String
    public let created: String

    public init(name: String, role: AccessRole, sha256: String, created: String) {
        self.name = name
        self.role = role
        self.sha256 = sha256
        self.created = created
    }
}

extension Workspace {
    /// The subject name under which the token list is anchored.
    static let accessTokensSubject = "access-tokens.json"

    /// The bearer tokens in force: the latest token list anchored in the ledger (none before the first).
    /// - throws: `WorkspaceError.ledgerInconsistent` when the anchored list's blob is missing or altered.
    public func accessTokens() throws -> [AccessToken] {
        try read { ledger in
            guard let (_, bytes) = try latestAnchored(Workspace.accessTokensSubject, what: "the anchored token list", ledger.db) else { return [] }
            return try Workspace.parseAccessTokens(bytes)
        }
    }

    /// The token a bearer presents, if it is in force (compared by hash, in constant time).
    public func authorize(bearer: String) throws -> AccessToken? {
        let presented = Array(SHA256.hash(data: Data(bearer.utf8)))
        var found: AccessToken?
        for token in try accessTokens() {
            let stored = Hex.decode(token.sha256) ?? []
            guard stored.count == presented.count else { continue }
            var difference: UInt8 = 0
            for (a, b) in zip(stored, presented) { difference |= a ^ b }
            if difference == 0 { found = token }
        }
        return found
    }

    /// Creates a token and anchors the new token list; the token is returned once and never stored.
    /// - throws: `WorkspaceError.invalidName` for an empty or duplicate name.
    public func createAccessToken(name: String, role: AccessRole) throws -> String {
        guard !name.isEmpty, name.count <= 100, name.allSatisfy({ !$0.isNewline && $0.asciiValue.map { $0 >= 0x20 } ?? true }) else {
            throw WorkspaceError.invalidName(what: "token name", value: name, rule: "1 to 100 printable characters")
        }
        var tokens = try accessTokens()
        guard !tokens.contains(where: { $0.name == name }) else {
            throw WorkspaceError.invalidName(what: "token name", value: name, rule: "a name no token in force has (revoke the old one first)")
        }
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token = "tct_" + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        tokens.append(AccessToken(name: name, role: role, sha256: Hex.encode(SHA256.hash(data: Data(token.utf8))), created: clock.timestamp))
        try anchorAccessTokens(tokens)
        return token
    }

    /// Revokes a token by name and anchors the new token list.
    /// - throws: `WorkspaceError.outOfRange` when no token in force has the name.
    public func revokeAccessToken(name: String) throws {
        let tokens = try accessTokens()
        guard tokens.contains(where: { $0.name == name }) else {
            throw WorkspaceError.outOfRange("no token named \"\(name)\" is in force (see `trialchain token list`)")
        }
        try anchorAccessTokens(tokens.filter { $0.name != name })
    }

    private func anchorAccessTokens(_ tokens: [AccessToken]) throws {
        let json: JSONValue = ["version": 1, "tokens": .array(tokens.map {
            ["name": .string($0.name), "role": .string($0.role.description), "sha256": .string($0.sha256), "created": .string($0.created)]
        })]
        try anchorReserved(json, as: Workspace.accessTokensSubject)
    }

    /// Anchors a new version of a file kept under a reserved name (the token list, the witness
    /// list) as its canonical JSON.
    func anchorReserved(_ json: JSONValue, as subject: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-\(getpid())-\(UUID().uuidString)-\(subject)")
        try PolicyFile.atomicWrite(CanonicalJSON.encode(json), to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try anchorFiles([(url: file, name: subject)])
    }

    static func parseAccessTokens(_ bytes: [UInt8]) throws -> [AccessToken] {
        func fail(_ reason: String) -> WorkspaceError { .ledgerInconsistent("the anchored token list: \(reason)") }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw fail("not JSON: \(error)") }
        guard value["version"] == 1, let list = value["tokens"]?.arrayValue else { throw fail("expected {\"version\":1,\"tokens\":[…]}") }
        return try list.enumerated().map { index, entry in
            guard let name = entry["name"]?.stringValue, let roleText = entry["role"]?.stringValue, let role = AccessRole(roleText),
                  let sha256 = entry["sha256"]?.stringValue, sha256.count == 64, let created = entry["created"]?.stringValue else {
                throw fail("tokens[\(index)]: expected name, role, sha256 and created")
            }
            return AccessToken(name: name, role: role, sha256: sha256, created: created)
        }
    }
}
