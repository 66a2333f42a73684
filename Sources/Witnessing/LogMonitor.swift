import Attestation
import Foundation
import MerkleLog
import SignedNote
import Workspace

/// Why a monitor stopped: the log misbehaved (exit 1), or it could not read it (exit 2).
public enum MonitorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two views of the log that cannot both be true: a rollback, a fork, entries that do not
    /// hash to the signed root.
    case splitView(String)
    /// The checkpoint is not signed by the log's key, or is for another log.
    case badCheckpoint(String)
    /// An entry is not a valid attestation by a signer the trust policy in force allows.
    case entryRejected(String)
    /// The server could not be read (down, 401/403 without a monitor token, 404).
    case unreadable(String)

    public var description: String {
        switch self {
        case let .splitView(why): return "SPLIT VIEW: \(why)"
        case let .badCheckpoint(why): return "bad checkpoint: \(why)"
        case let .entryRejected(why): return "entry rejected: \(why)"
        case let .unreadable(why): return why
        }
    }

    /// Misbehaviour of the log (exit 1) rather than a failure to read it (exit 2).
    public var isIntegrityFailure: Bool {
        if case .unreadable = self { return false }
        return true
    }
}

/// What one run of a monitor saw.
public struct MonitorRun: Sendable {
    public let previousSize: UInt64
    public let size: UInt64
    public let entries: [FollowedEntry]
}

/// Follows a log published in the C2SP tlog-tiles layout (`trialchain publish` or `serve`):
/// checks the checkpoint's signature, downloads every new entry bundle, recomputes the tree from
/// the size it saw last (so the new root proves the new checkpoint extends the old one), and
/// checks each entry's signature against the trust policy the log's own entries put in force.
public struct LogMonitor: Sendable {
    /// Fetches a path under the log's URL prefix: the HTTP status and the body.
    public typealias Fetch = @Sendable (_ path: String) async throws -> (status: Int, body: [UInt8])
    let fetch: Fetch

    public init(fetch: @escaping Fetch) { self.fetch = fetch }

    /// Follows the log from `state`.
    /// - returns: the new state (the caller saves it) and what was seen.
    /// - throws: `MonitorError`; nothing is returned to save when the log misbehaved.
    public func follow(_ state: MonitorState) async throws -> (MonitorState, MonitorRun) {
        let text = String(decoding: try await get("checkpoint"), as: UTF8.self)
        let checkpoint: Checkpoint
        do {
            let note = try SignedNote(parsing: text)
            _ = try note.verify(trusting: [state.ledgerKey])
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            throw MonitorError.badCheckpoint("the checkpoint is not signed by the ledger key \(state.ledgerKey.handle): \(error)")
        }
        guard checkpoint.origin == state.ledgerKey.name else {
            throw MonitorError.badCheckpoint("the checkpoint is for \(checkpoint.origin), the ledger key for \(state.ledgerKey.name)")
        }
        if checkpoint.size < state.size {
            throw MonitorError.splitView("the log now shows size \(checkpoint.size), but this monitor saw size \(state.size) signed before: a rollback")
        }
        if checkpoint.size == state.size {
            guard checkpoint.root == state.root else {
                throw MonitorError.splitView("size \(state.size) had root \(state.root.hex) when this monitor saw it, now \(checkpoint.root.hex): a fork")
            }
            return (state, MonitorRun(previousSize: state.size, size: state.size, entries: []))
        }
        guard var frontier = MerkleFrontier(size: state.size, hashes: state.frontier),
              let policy = try? TrustPolicy(bytes: state.policy, file: "the monitor state's trust policy") else {
            throw MonitorError.unreadable("the monitor state is inconsistent; start again with a new state file")
        }
        var follower = EntryFollower(operatorKey: state.operatorKey, policy: policy, operatorNameFixed: state.operatorNameFixed)
        var seen: [FollowedEntry] = []
        for tile in (state.size / 256)...((checkpoint.size - 1) / 256) {
            let width = Int(min(256, checkpoint.size - tile * 256))
            let path = "tile/entries/" + Tile.pathElement(tile) + (width < 256 ? ".p/\(width)" : "")
            let entries = try Self.entries(ofBundle: try await get(path), count: width, path: path)
            for offset in Int(max(state.size, tile * 256) - tile * 256)..<width {
                let index = tile * 256 + UInt64(offset)
                let entry = entries[offset]
                frontier.append(RFC6962.leafHash(entry))
                var policies: [String: [UInt8]] = [:]
                if let digest = Self.anchoredTrustPolicy(entry) {
                    policies[digest] = try await get("trust-policy/\(digest)")
                }
                do {
                    seen.append(try follower.follow(index: index, entry: entry) { digest in
                        guard let bytes = policies[digest] else { throw MonitorError.unreadable("trust policy \(digest) not fetched") }
                        return bytes
                    })
                } catch let failure as IntegrityFailure {
                    throw MonitorError.entryRejected("\(failure)")
                }
            }
        }
        guard frontier.root == checkpoint.root else {
            throw MonitorError.splitView("the entries served from size \(state.size) to \(checkpoint.size) do not hash to the signed root of size \(checkpoint.size): the server altered an entry, or the checkpoint does not extend size \(state.size) this monitor saw")
        }
        var next = state
        next.size = checkpoint.size
        next.root = checkpoint.root
        next.frontier = frontier.hashes
        next.policy = follower.policy.canonicalBytes
        next.operatorNameFixed = follower.operatorNameFixed
        return (next, MonitorRun(previousSize: state.size, size: checkpoint.size, entries: seen))
    }

    func get(_ path: String) async throws -> [UInt8] {
        let response: (status: Int, body: [UInt8])
        do { response = try await fetch(path) } catch { throw MonitorError.unreadable("cannot fetch \(path): \(error.localizedDescription)") }
        switch response.status {
        case 200: return response.body
        case 401, 403:
            throw MonitorError.unreadable("\(path): HTTP \(response.status): entries need a monitor or auditor token (--token-file)")
        default:
            throw MonitorError.unreadable("\(path): HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }

    /// The entries of a tlog-tiles entry bundle (`uint16 length ‖ entry`, repeated).
    /// - throws: `MonitorError.splitView` when it does not hold exactly `count` entries.
    static func entries(ofBundle bytes: [UInt8], count: Int, path: String) throws -> [[UInt8]] {
        var entries: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { break }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard offset + 2 + length <= bytes.count else { break }
            entries.append(Array(bytes[(offset + 2)..<(offset + 2 + length)]))
            offset += 2 + length
        }
        guard offset == bytes.count, entries.count == count else {
            throw MonitorError.splitView("\(path) is not an entry bundle of \(count) entries (\(bytes.count) bytes)")
        }
        return entries
    }

    /// The digest of the trust policy an entry anchors, if it anchors one.
    static func anchoredTrustPolicy(_ entry: [UInt8]) -> String? {
        guard let statement = try? DSSEEnvelope(parsing: entry).statement(), statement.predicateType == Workspace.anchorPredicateType else { return nil }
        return statement.subjects.first(where: { $0.name == "trust-policy.json" })?.sha256
    }
}
