import Crypto
import Foundation
import MerkleLog
import Workspace

/// A file handed to a stage: where it is, the name recorded for it, and its SHA-256.
public struct InputFile: Sendable {
    public let url: URL
    public let name: String
    public let sha256: String

    /// Hashes the file (streaming).
    /// - throws: `WorkspaceError.unreadableFile` when it cannot be read.
    public init(url: URL, name: String) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw WorkspaceError.unreadableFile(path: name, reason: FileManager.default.fileExists(atPath: url.path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        self.url = url
        self.name = name
        self.sha256 = Hex.encode(hasher.finalize())
    }

    var material: StageMaterial { StageMaterial(name: name, sha256: sha256) }

    /// The file name without its folders: artifacts are named `<kind>/<basename>`.
    var baseName: String { (name as NSString).lastPathComponent }
}
