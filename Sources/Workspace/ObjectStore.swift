import Crypto
import Foundation
import MerkleLog

/// A content-addressed store of blobs: `objects/sha256/<2 hex>/<62 hex>`.
///
/// Blobs are written to a temporary file, flushed, then renamed into place, so a blob that is
/// present is always complete. Storing the same bytes twice stores them once.
public struct ObjectStore: Sendable {
    /// The store's directory.
    public let root: URL

    /// A store rooted at `root`.
    public init(root: URL) { self.root = root }

    /// What storing a file did.
    public struct Stored: Sendable, Equatable {
        /// Lowercase hex SHA-256 of the bytes.
        public let sha256: String
        /// The number of bytes.
        public let byteCount: Int64
        /// False when the store already held these bytes.
        public let isNew: Bool
    }

    /// The path of the blob with digest `sha256`.
    public func url(for sha256: String) -> URL {
        URL(fileURLWithPath: path(for: sha256), isDirectory: false)
    }

    /// The file system path of the blob with digest `sha256`: plain string concatenation, since
    /// a stage that reads thousands of blobs (one consent artifact per participant) spent a
    /// fifth of its start-up in `URL.appendingPathComponent`.
    public func path(for sha256: String) -> String {
        "\(root.path)/sha256/\(sha256.prefix(2))/\(sha256.dropFirst(2))"
    }

    /// The SHA-256 of a stored blob as it is now, streamed; `nil` when it is missing.
    public func currentDigest(of sha256: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path(for: sha256)) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Hex.encode(hasher.finalize())
    }

    /// Whether a blob is present.
    public func contains(_ sha256: String) -> Bool {
        FileManager.default.fileExists(atPath: path(for: sha256))
    }

    /// Streams a file into the store, hashing it as it copies (memory does not grow with size).
    /// - throws: `WorkspaceError.unreadableFile` when the source cannot be read, `.storage` when
    ///   the store cannot be written.
    public func store(fileAt source: URL) throws -> Stored {
        guard let input = InputStream(url: source) else {
            throw WorkspaceError.unreadableFile(path: source.path, reason: "no such file")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory) else {
            throw WorkspaceError.unreadableFile(path: source.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw WorkspaceError.unreadableFile(path: source.path, reason: "it is a directory") }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        let temporary = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let output = try? FileHandle(forWritingTo: temporary) else {
            throw WorkspaceError.storage("cannot write in \(root.path)")
        }
        var keepTemporary = false
        defer { if !keepTemporary { try? FileManager.default.removeItem(at: temporary) } }
        input.open()
        defer { input.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = input.read(&buffer, maxLength: buffer.count)
            if count < 0 {
                try? output.close()
                throw WorkspaceError.unreadableFile(path: source.path, reason: input.streamError?.localizedDescription ?? "read failed")
            }
            if count == 0 { break }
            hasher.update(data: buffer[0..<count])
            try output.write(contentsOf: buffer[0..<count])
            total += Int64(count)
        }
        try output.synchronize()
        try output.close()
        let digest = Hex.encode(hasher.finalize())
        let destination = url(for: digest)
        if FileManager.default.fileExists(atPath: destination.path) {
            return Stored(sha256: digest, byteCount: total, isNew: false)
        }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: temporary, to: destination)
        keepTemporary = true
        return Stored(sha256: digest, byteCount: total, isNew: true)
    }

    /// Stores bytes (written to a temporary file, flushed, renamed into place).
    /// - throws: `WorkspaceError.storage` when the store cannot be written.
    public func store(bytes: [UInt8]) throws -> Stored {
        let digest = Hex.encode(SHA256.hash(data: bytes))
        let destination = url(for: digest)
        if FileManager.default.fileExists(atPath: destination.path) {
            return Stored(sha256: digest, byteCount: Int64(bytes.count), isNew: false)
        }
        do {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
            let temporary = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
            try Data(bytes).write(to: temporary, options: .atomic)
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            throw WorkspaceError.storage("cannot write \(destination.path): \(error.localizedDescription)")
        }
        return Stored(sha256: digest, byteCount: Int64(bytes.count), isNew: true)
    }

    /// Removes a blob (used only to undo a blob this process just added, when its stage fails).
    func remove(_ sha256: String) {
        let blob = url(for: sha256)
        try? FileManager.default.removeItem(at: blob)
        // Leave no empty fan-out directory behind either.
        let folder = blob.deletingLastPathComponent()
        if (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: folder)
        }
    }
}
