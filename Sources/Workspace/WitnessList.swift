import Attestation
import Foundation
import GRDB
import SignedNote

/// A witness the log sends its checkpoints to (`trialchain witness add`): its cosignature key
/// and the URL prefix of its c2sp.org/tlog-witness API.
public struct ConfiguredWitness: Equatable, Sendable {
    /// The witness's tlog-cosignature/v1 verifier key.
    public let key: NoteVerifierKey
    /// The URL prefix: requests go to `<url>/add-checkpoint`.
    public let url: String
    public let added: String
}

extension Workspace {
    /// The subject name under which the witness list is anchored.
    static let witnessesSubject = "witnesses.json"

    /// The witnesses in force: the latest witness list anchored in the ledger (none before the first).
    /// - throws: `WorkspaceError.ledgerInconsistent` when the anchored list's blob is missing or altered.
    public func witnesses() throws -> [ConfiguredWitness] {
        try read { ledger in
            guard let (_, bytes) = try latestAnchored(Workspace.witnessesSubject, what: "the anchored witness list", ledger.db) else { return [] }
            return try Workspace.parseWitnesses(bytes)
        }
    }

    /// Adds a witness and anchors the new witness list.
    /// - throws: `WorkspaceError.invalidName` for a key that is not a cosignature key, a URL that
    ///   is not an http(s) prefix, or a witness name already in the list.
    public func addWitness(url: String, key: NoteVerifierKey) throws {
        guard key.type == .cosignatureV1 else {
            throw WorkspaceError.invalidName(what: "witness key", value: key.description,
                                             rule: "a tlog-cosignature/v1 verifier key (type 0x04; `trialchain keys generate --witness` makes one)")
        }
        let normalized = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let parsed = URLComponents(string: normalized), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.password == nil, parsed.query == nil, parsed.fragment == nil,
              normalized.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw WorkspaceError.invalidName(what: "witness URL", value: url,
                                             rule: "an http:// or https:// prefix without credentials, query or fragment (requests go to <url>/add-checkpoint)")
        }
        var list = try witnesses()
        guard !list.contains(where: { $0.key.name == key.name }) else {
            throw WorkspaceError.invalidName(what: "witness", value: key.name, rule: "a name no configured witness has (remove the old one first)")
        }
        list.append(ConfiguredWitness(key: key, url: normalized, added: clock.timestamp))
        try anchorWitnesses(list)
    }

    /// Removes a witness by name and anchors the new witness list (its cosignatures already kept stay).
    /// - throws: `WorkspaceError.outOfRange` when no configured witness has the name.
    public func removeWitness(name: String) throws {
        let list = try witnesses()
        guard list.contains(where: { $0.key.name == name }) else {
            throw WorkspaceError.outOfRange("no witness named \"\(name)\" is configured (see `trialchain witness list`)")
        }
        try anchorWitnesses(list.filter { $0.key.name != name })
    }

    /// The largest checkpoint size a witness has cosigned, as kept here (nil: none).
    public func lastCosignedSize(by key: NoteVerifierKey) throws -> UInt64? {
        try read { ledger in
            try Int64.fetchOne(ledger.db, sql: "SELECT max(size) FROM cosignatures WHERE witness = ?", arguments: [key.handle]).map(UInt64.init)
        }
    }

    private func anchorWitnesses(_ list: [ConfiguredWitness]) throws {
        let json: JSONValue = ["version": 1, "witnesses": .array(list.map {
            ["vkey": .string($0.key.description), "url": .string($0.url), "added": .string($0.added)]
        })]
        try anchorReserved(json, as: Workspace.witnessesSubject)
    }

    static func parseWitnesses(_ bytes: [UInt8]) throws -> [ConfiguredWitness] {
        func fail(_ reason: String) -> WorkspaceError { .ledgerInconsistent("the anchored witness list: \(reason)") }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw fail("not JSON: \(error)") }
        guard value["version"] == 1, let list = value["witnesses"]?.arrayValue else { throw fail("expected {\"version\":1,\"witnesses\":[…]}") }
        return try list.enumerated().map { index, entry in
            guard let text = entry["vkey"]?.stringValue, let key = try? NoteVerifierKey(text), key.type == .cosignatureV1,
                  let url = entry["url"]?.stringValue, let added = entry["added"]?.stringValue else {
                throw fail("witnesses[\(index)]: expected a cosignature vkey, url and added")
            }
            return ConfiguredWitness(key: key, url: url, added: added)
        }
    }
}
