import Attestation
import Crypto
import Foundation
import MerkleLog
import Workspace
import ZIPFoundation

/// Why a bundle cannot be used (bad input: exit 2) or does not hold (integrity: exit 1).
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a readable TrialChain bundle: truncated, foreign, or with unexpected content.
    case notABundle(file: String, reason: String)
    /// A file in the bundle differs from the manifest.
    case altered(file: String, reason: String)

    public var description: String {
        switch self {
        case let .notABundle(file, reason): return "\(file) is not a usable TrialChain bundle: \(reason)"
        case let .altered(file, reason): return "bundle \(file) was altered: \(reason)"
        }
    }
}

/// A portable bundle of a workspace: one ZIP file holding `bundle.json` (a manifest of every
/// file with its SHA-256), a snapshot of the database taken through SQLite's backup API, every
/// blob of the object store, the public keys, the trust policy and the latest checkpoint. It
/// holds no private key. `TrialBundle.open` checks it and opens it as a workspace in a fresh
/// directory, so that `verify` runs on it offline.
public enum TrialBundle {
    public static let type = "https://trialchain.dev/bundle/v1"
    static let manifestName = "bundle.json"
    /// Bundle members are at most this large (a guard against decompression bombs).
    static let maximumEntryBytes: Int64 = 64 << 30
    /// The manifest is inflated into memory: at most this many bytes (about 400,000 members).
    static let maximumManifestBytes = 64 << 20
    /// What `verify --bundle` unpacks at most unless told otherwise (`--max-bundle-bytes`).
    public static let defaultMaximumTotalBytes: Int64 = 16 << 30

    /// Stops an extraction that writes more than a member may hold.
    struct Overflow: Error {}

    /// A ZIP library error in words (ZIP's own integrity checks failed: the bundle was altered).
    static func describe(_ error: Error) -> String {
        switch error {
        case Archive.ArchiveError.invalidCRC32: return "its ZIP checksum (CRC-32) does not match its data"
        case Archive.ArchiveError.unreadableArchive: return "its ZIP data is damaged or truncated"
        case is Overflow: return "it inflates to more bytes than its manifest lists (a decompression bomb, or an altered member)"
        default: return "its ZIP data cannot be read (\(String(describing: error).split(separator: "(").first ?? "damaged"))"
        }
    }

    /// What was exported.
    public struct Summary: Equatable, Sendable {
        public let files: Int
        public let bytes: Int64
        public let ledgerSize: UInt64
    }

    /// Writes the bundle (to a temporary file renamed into place).
    public static func export(_ workspace: Workspace, to url: URL) throws -> Summary {
        let fileManager = FileManager.default
        let staging = fileManager.temporaryDirectory.appendingPathComponent("trialchain-export-\(UUID().uuidString)")
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: staging) }
        let snapshot = staging.appendingPathComponent("trialchain.sqlite")
        try workspace.snapshot(to: snapshot)
        let checkpoint = try workspace.read { try $0.checkpoint() }
        let checkpointFile = staging.appendingPathComponent("checkpoint")
        try Data(checkpoint.note.utf8).write(to: checkpointFile)
        var members: [(path: String, url: URL)] = [("trialchain.sqlite", snapshot), ("checkpoint", checkpointFile)]
        for role in KeyRole.allCases { members.append(("keys/\(role.rawValue).pub", workspace.layout.publicKey(role))) }
        if fileManager.fileExists(atPath: workspace.layout.trustPolicy.path) { members.append(("trust-policy.json", workspace.layout.trustPolicy)) }
        for digest in try workspace.objectDigests() {
            // The object store's own layout: objects/sha256/<first 2 hex digits>/<the other 62>.
            members.append(("objects/sha256/\(digest.prefix(2))/\(digest.dropFirst(2))", workspace.objects.url(for: digest)))
        }
        var files: [JSONValue] = []
        var total: Int64 = 0
        for member in members {
            let (digest, size) = try hash(member.url, name: member.path)
            files.append(["path": .string(member.path), "sha256": .string(digest), "size": .integer(size)])
            total += size
        }
        let manifest: JSONValue = [
            "type": .string(type), "trial": .string(workspace.trialID), "origin": .string(workspace.origin),
            "ledgerSize": .integer(Int64(checkpoint.size)), "root": .string(checkpoint.root.hex),
            "tool": ["name": "trialchain", "version": .string(TrialChainVersion.current)], "files": .array(files),
        ]
        let manifestFile = staging.appendingPathComponent(manifestName)
        try Data(CanonicalJSON.encode(manifest)).write(to: manifestFile)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8))")
        do {
            let archive = try Archive(url: temporary, accessMode: .create)
            try archive.addEntry(with: manifestName, fileURL: manifestFile, compressionMethod: .deflate)
            for member in members {
                try archive.addEntry(with: member.path, fileURL: member.url, compressionMethod: member.path.hasPrefix("objects/") ? .none : .deflate)
            }
            if fileManager.fileExists(atPath: url.path) { try fileManager.removeItem(at: url) }
            try fileManager.moveItem(at: temporary, to: url)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw WorkspaceError.storage("cannot write the bundle \(url.path): \(error)")
        }
        return Summary(files: members.count + 1, bytes: total, ledgerSize: checkpoint.size)
    }

    /// Checks a bundle against its manifest and opens it as a workspace in `directory` (which
    /// must not exist). Every member must be listed with its digest, and nothing else may be there.
    /// - throws: `BundleError.notABundle` (unreadable, foreign, unexpected content) or `.altered`.
    /// - parameter maximumTotalBytes: refuse a bundle whose members add up to more.
    public static func open(_ url: URL, into directory: URL, maximumTotalBytes: Int64 = defaultMaximumTotalBytes) throws -> Workspace {
        let name = url.lastPathComponent
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw BundleError.notABundle(file: name, reason: FileManager.default.fileExists(atPath: url.path)
                ? "not a ZIP archive (truncated, or another kind of file)" : "no such file")
        }
        guard let manifestEntry = archive[manifestName] else {
            throw BundleError.notABundle(file: name, reason: "it has no \(manifestName)")
        }
        // The ZIP's declared sizes are never trusted: bytes are counted as they inflate.
        var manifestBytes = Data()
        do {
            _ = try archive.extract(manifestEntry) { chunk in
                guard manifestBytes.count + chunk.count <= maximumManifestBytes else { throw Overflow() }
                manifestBytes.append(chunk)
            }
        } catch is Overflow {
            throw BundleError.altered(file: name, reason: "\(manifestName) inflates past \(maximumManifestBytes >> 20) MiB, more than any manifest holds")
        } catch {
            throw BundleError.altered(file: name, reason: "\(manifestName): \(describe(error))")
        }
        guard let manifest = try? JSONValue.parse(manifestBytes), manifest["type"]?.stringValue == type,
              let listed = manifest["files"]?.arrayValue else {
            throw BundleError.notABundle(file: name, reason: "\(manifestName) is not a \(type) manifest")
        }
        var expected: [String: (sha256: String, size: Int64)] = [:]
        for file in listed {
            guard let path = file["path"]?.stringValue, let digest = file["sha256"]?.stringValue, let size = file["size"]?.integerValue,
                  isAllowed(path) else {
                throw BundleError.notABundle(file: name, reason: "\(manifestName) lists an entry that is not part of a bundle: \(file)")
            }
            expected[path] = (digest, size)
        }
        let total = expected.values.reduce(Int64(0)) { $0 + $1.size }
        guard total <= maximumTotalBytes else {
            throw BundleError.notABundle(file: name, reason: "its members add up to \(total) bytes, more than the limit of \(maximumTotalBytes) (raise it with --max-bundle-bytes if you expect a bundle this large)")
        }
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: false)
        } catch {
            throw WorkspaceError.storage("cannot create \(directory.path): \(error.localizedDescription)")
        }
        var seen = Set<String>()
        for entry in archive where entry.path != manifestName {
            guard entry.type == .file, let listed = expected[entry.path] else {
                throw BundleError.notABundle(file: name, reason: "it holds \(entry.path), which its manifest does not list")
            }
            guard Int64(entry.uncompressedSize) == listed.size, listed.size <= maximumEntryBytes else {
                throw BundleError.altered(file: name, reason: "\(entry.path) is \(entry.uncompressedSize) bytes, the manifest says \(listed.size)")
            }
            let destination = directory.appendingPathComponent(entry.path)
            var hasher = SHA256()
            do {
                try fileManager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard fileManager.createFile(atPath: destination.path, contents: nil), let output = FileHandle(forWritingAtPath: destination.path) else {
                    throw WorkspaceError.storage("cannot write \(destination.path)")
                }
                defer { try? output.close() }
                var written: Int64 = 0
                _ = try archive.extract(entry) { chunk in
                    written += Int64(chunk.count)
                    guard written <= listed.size else { throw Overflow() }
                    hasher.update(data: chunk)
                    output.write(chunk)
                }
            } catch let error as WorkspaceError {
                throw error
            } catch {
                throw BundleError.altered(file: name, reason: "\(entry.path): \(describe(error))")
            }
            guard Hex.encode(hasher.finalize()) == listed.sha256 else {
                throw BundleError.altered(file: name, reason: "\(entry.path) does not have the SHA-256 its manifest lists")
            }
            seen.insert(entry.path)
        }
        if let missing = expected.keys.sorted().first(where: { !seen.contains($0) }) {
            throw BundleError.altered(file: name, reason: "\(missing) is listed in its manifest but missing")
        }
        do {
            return try Workspace.open(at: directory)
        } catch {
            throw BundleError.notABundle(file: name, reason: "its database does not open as a workspace: \(error)")
        }
    }

    /// Only the parts of a workspace a bundle carries, with no way out of the directory.
    static func isAllowed(_ path: String) -> Bool {
        if ["trialchain.sqlite", "checkpoint", "trust-policy.json", "keys/ledger.pub", "keys/operator.pub"].contains(path) { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "objects", parts[1] == "sha256", parts[2].count == 2, parts[3].count == 62 else { return false }
        return (parts[2] + parts[3]).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func hash(_ url: URL, name: String) throws -> (String, Int64) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw WorkspaceError.ledgerInconsistent("\(name) is missing from the workspace")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (Hex.encode(hasher.finalize()), size)
    }
}
