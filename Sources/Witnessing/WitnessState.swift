import Attestation
import Foundation
import MerkleLog
#if canImport(Glibc)
import Glibc
#endif

/// A witness's memory: for each log it cosigned, the largest checkpoint (size and root).
/// A small JSON file, replaced atomically and flushed to disk after every cosignature.
public struct WitnessState: Equatable, Sendable {
    public var logs: [String: (size: UInt64, root: TreeHash)]

    public static func == (lhs: WitnessState, rhs: WitnessState) -> Bool {
        lhs.logs.keys == rhs.logs.keys && lhs.logs.allSatisfy { rhs.logs[$0.key]?.size == $0.value.size && rhs.logs[$0.key]?.root == $0.value.root }
    }

    public init(logs: [String: (size: UInt64, root: TreeHash)] = [:]) { self.logs = logs }

    /// Reads the state; a missing file is a witness that has cosigned nothing yet.
    /// - throws: `WitnessError.unusable` for a malformed file.
    public static func load(_ url: URL) throws -> WitnessState {
        guard let data = FileManager.default.contents(atPath: url.path) else { return WitnessState() }
        guard let value = try? JSONValue.parse(data), value["version"] == 1, let logs = value["logs"]?.objectValue else {
            throw WitnessError.unusable("witness state \(url.path) is not a TrialChain witness state file")
        }
        var state = WitnessState()
        for (origin, entry) in logs {
            guard let size = entry["size"]?.integerValue, size >= 0, let root = entry["root"]?.stringValue.flatMap(TreeHash.init(hex:)) else {
                throw WitnessError.unusable("witness state \(url.path): the entry for \(origin) is malformed")
            }
            state.logs[origin] = (UInt64(size), root)
        }
        return state
    }

    /// Replaces the state file: written beside it, flushed, renamed over it, and the folder
    /// flushed, so that after a crash the file holds either the old state or the new one.
    /// - throws: `WitnessError.unusable` when it cannot be written.
    public func save(_ url: URL) throws {
        let value: JSONValue = ["version": 1, "logs": .object(logs.mapValues { ["size": .integer(Int64($0.size)), "root": .string($0.root.hex)] })]
        try DurableFile.replace(url, with: CanonicalJSON.encode(value), what: "witness state")
    }

    /// Takes the state file's lock (`<state>.lock`) for as long as the returned value lives, so
    /// that two witness processes never answer from the same state (they could cosign a fork).
    /// - throws: `WitnessError.unusable` when another process holds it.
    public static func lock(_ url: URL) throws -> StateLock {
        let path = url.path + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WitnessError.unusable("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw WitnessError.unusable("another witness process is using \(url.path) (\(path) is locked); one state file, one witness")
        }
        return StateLock(fd: fd)
    }
}

/// An exclusive lock on a witness state file; released when the value is deinitialised.
public final class StateLock: Sendable {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
