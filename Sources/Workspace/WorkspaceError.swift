import Foundation

/// Why a workspace command could not run. Each message says what to do about it.
public enum WorkspaceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No workspace at the path.
    case notFound(path: String)
    /// `init` was asked to create a workspace where one (or other files) already exist.
    case alreadyExists(path: String)
    /// The database file is not SQLite at all.
    case notADatabase(path: String, reason: String)
    /// The database is SQLite but not a TrialChain workspace.
    case foreignDatabase(path: String)
    /// The database was written by a newer TrialChain.
    case newerSchema(path: String, version: Int)
    /// A read-only command met a database an older TrialChain wrote (it needs a migration).
    case olderSchema(path: String)
    /// A key file is missing, unreadable or does not match the workspace.
    case keyProblem(path: String, reason: String)
    /// A trial ID or origin that cannot be used.
    case invalidName(what: String, value: String, rule: String)
    /// An input file that cannot be read.
    case unreadableFile(path: String, reason: String)
    /// A tree size or index past the ledger.
    case outOfRange(String)
    /// No checkpoint of the asked size was ever signed.
    case noCheckpoint(size: UInt64, available: String)
    /// The stored ledger is not in a state that can be appended to; run `verify`.
    case ledgerInconsistent(String)
    /// SQLite or the file system failed.
    case storage(String)
    /// The trust policy file is missing or malformed.
    case trustPolicy(file: String, reason: String)

    public var description: String {
        switch self {
        case let .trustPolicy(file, reason):
            return "trust policy \(file): \(reason)"
        case let .notFound(path):
            return "no TrialChain workspace at \(path): create one with `trialchain init --trial ID`, or point --workspace (or TRIALCHAIN_WORKSPACE) at an existing one"
        case let .alreadyExists(path):
            return "\(path) already exists and is not empty; init never overwrites a workspace (choose another --workspace)"
        case let .notADatabase(path, reason):
            return "\(path) is not a readable SQLite database (\(reason)); the workspace may be corrupt: restore it from a backup or an exported bundle"
        case let .foreignDatabase(path):
            return "\(path) is an SQLite database but not a TrialChain workspace; nothing was changed"
        case let .newerSchema(path, version):
            return "\(path) has schema version \(version), newer than this trialchain understands; upgrade trialchain"
        case let .olderSchema(path):
            return "\(path) was written by an older trialchain and must be upgraded by a command that writes (`trialchain run`, `ingest`, `anchor`); read-only commands (verify, prove, log, checkpoint, export, rejects) never change a workspace"
        case let .keyProblem(path, reason):
            return "key file \(path): \(reason)"
        case let .invalidName(what, value, rule):
            return "invalid \(what) \"\(value)\": \(rule)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .outOfRange(message):
            return message
        case let .noCheckpoint(size, available):
            return "no checkpoint of size \(size) was signed (signed sizes: \(available))"
        case let .ledgerInconsistent(message):
            return "the ledger is inconsistent (\(message)); run `trialchain verify` to find out what changed"
        case let .storage(message):
            return "storage error: \(message)"
        }
    }
}
