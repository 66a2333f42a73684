import Foundation

/// Where a workspace keeps its parts, relative to its directory.
///
/// ```
/// DIR/trialchain.sqlite      ledger, checkpoints, objects index (WAL mode)
/// DIR/objects/sha256/ab/…    content-addressed blobs (source files, signed documents)
/// DIR/keys/ledger.key        checkpoint signing key (0600, never in the database)
/// DIR/keys/ledger.pub        its verifier key
/// DIR/keys/operator.key      attestation signing key (0600)
/// DIR/keys/operator.pub      its verifier key
/// DIR/trust-policy.json      which keys may sign which entries, and whose they are
/// DIR/reports/…              report files written by report stages
/// ```
public struct WorkspaceLayout: Sendable {
    /// The workspace directory.
    public let root: URL

    /// A layout rooted at `root`.
    public init(root: URL) { self.root = root.standardizedFileURL }

    /// The default directory: `$TRIALCHAIN_WORKSPACE`, else `.trialchain` in the current directory.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment["TRIALCHAIN_WORKSPACE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".trialchain")
    }

    public var database: URL { root.appendingPathComponent("trialchain.sqlite") }
    public var objects: URL { root.appendingPathComponent("objects") }
    public var keys: URL { root.appendingPathComponent("keys") }
    /// Which keys may sign what (canonical JSON).
    public var trustPolicy: URL { root.appendingPathComponent("trust-policy.json") }

    /// The private key file for a role.
    public func privateKey(_ role: KeyRole) -> URL { keys.appendingPathComponent("\(role.rawValue).key") }
    /// The public (verifier) key file for a role.
    public func publicKey(_ role: KeyRole) -> URL { keys.appendingPathComponent("\(role.rawValue).pub") }
}

/// The two keys of a workspace.
public enum KeyRole: String, CaseIterable, Sendable {
    /// Signs checkpoints (the log's key; its name is the origin).
    case ledger
    /// Signs stage attestations (DSSE envelopes).
    case `operator`
}
