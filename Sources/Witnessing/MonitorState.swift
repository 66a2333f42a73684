import Attestation
import Foundation
import MerkleLog
import SignedNote
import Workspace

/// What a monitor remembers of a log between runs: the keys it was told to trust, the last
/// checkpoint it checked, the right edge of the tree it recomputed, and the trust policy in force.
public struct MonitorState: Equatable, Sendable {
    public let ledgerKey: NoteVerifierKey
    public let operatorKey: NoteVerifierKey
    public var size: UInt64
    public var root: TreeHash
    /// The right edge of the tree of `size` leaves (`MerkleFrontier.hashes`).
    public var frontier: [TreeHash]
    /// The trust policy in force for the next entry (canonical JSON) and whether the genesis
    /// operator's printed name is settled.
    public var policy: [UInt8]
    public var operatorNameFixed: Bool

    /// A monitor that has seen nothing of the log yet.
    public init(ledgerKey: NoteVerifierKey, operatorKey: NoteVerifierKey) {
        self.ledgerKey = ledgerKey
        self.operatorKey = operatorKey
        self.size = 0
        self.root = RFC6962.emptyRoot
        self.frontier = []
        let follower = EntryFollower(operatorKey: operatorKey)
        self.policy = follower.policy.canonicalBytes
        self.operatorNameFixed = follower.operatorNameFixed
    }

    /// Reads a state file; nil when there is none yet.
    /// - throws: `WitnessError.unusable` for a file that is not a monitor state.
    public static func load(_ url: URL) throws -> MonitorState? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        func fail(_ why: String) -> WitnessError { .unusable("monitor state \(url.path): \(why)") }
        guard let value = try? JSONValue.parse(data), value["version"] == 1 else { throw fail("not a TrialChain monitor state file") }
        guard let ledger = value["ledgerKey"]?.stringValue.flatMap({ try? NoteVerifierKey($0) }),
              let operatorKey = value["operatorKey"]?.stringValue.flatMap({ try? NoteVerifierKey($0) }),
              let size = value["size"]?.integerValue, size >= 0, let root = value["root"]?.stringValue.flatMap(TreeHash.init(hex:)),
              let edge = value["frontier"]?.arrayValue?.compactMap({ $0.stringValue.flatMap(TreeHash.init(hex:)) }),
              MerkleFrontier(size: UInt64(size), hashes: edge)?.root == root,
              let policy = value["policy"], case let .bool(fixed)? = value["operatorNameFixed"] else {
            throw fail("malformed (keys, size, root, frontier, policy), or its frontier does not hash to its root")
        }
        var state = MonitorState(ledgerKey: ledger, operatorKey: operatorKey)
        state.size = UInt64(size)
        state.root = root
        state.frontier = edge
        state.policy = CanonicalJSON.encode(policy)
        state.operatorNameFixed = fixed
        return state
    }

    /// Replaces the state file (flushed before it is renamed into place).
    public func save(_ url: URL) throws {
        guard let policyValue = try? JSONValue.parse(policy) else { throw WitnessError.unusable("the monitor's trust policy is not JSON") }
        let value: JSONValue = [
            "version": 1, "ledgerKey": .string(ledgerKey.description), "operatorKey": .string(operatorKey.description),
            "size": .integer(Int64(size)), "root": .string(root.hex), "frontier": .array(frontier.map { .string($0.hex) }),
            "policy": policyValue, "operatorNameFixed": .bool(operatorNameFixed),
        ]
        try DurableFile.replace(url, with: CanonicalJSON.encode(value), what: "monitor state")
    }
}
