import Attestation
import CFileSync
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
        "\(folder(for: sha256))/\(sha256.dropFirst(2))"
    }

    /// The fan-out directory that holds the blob with digest `sha256`.
    func folder(for sha256: String) -> String {
        "\(root.path)/sha256/\(sha256.prefix(2))"
    }

    /// The SHA-256 of a stored blob as it is now, streamed; `nil` when it is missing.
    public func currentDigest(of sha256: String) -> String? {
        ObjectStore.digest(ofFileAt: path(for: sha256))
    }

    /// The SHA-256 of a file, streamed a megabyte at a time; `nil` when it cannot be read.
    public static func digest(ofFileAt path: String) -> String? {
        try? sha256(ofFileAt: path, name: path)
    }

    /// The SHA-256 (lowercase hex) of a file, read with read(2) into one 1 MiB buffer (Foundation's
    /// `FileHandle` reads 4 KiB per system call).
    /// - parameter name: the file as errors name it.
    /// - throws: `WorkspaceError.unreadableFile` when it cannot be opened or read (a folder, say).
    public static func sha256(ofFileAt path: String, name: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw WorkspaceError.unreadableFile(path: name, reason: errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw WorkspaceError.unreadableFile(path: name, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return Hex.encode(hasher.finalize())
    }

    /// Whether a blob is present.
    public func contains(_ sha256: String) -> Bool {
        FileManager.default.fileExists(atPath: path(for: sha256))
    }

    /// Streams a file into the store, hashing it as it copies (memory does not grow with size).
    /// - throws: `WorkspaceError.unreadableFile` when the source cannot be read, `.storage` when
    ///   the store cannot be written.
    /// - parameter deferSync: leave flushing to a later `synchronize(_:)` (a stage flushes all its
    ///   blobs once, just before its transaction commits: one flush of many files costs about
    ///   what one file costs, a flush per file dominated consent ingest).
    public func store(fileAt source: URL, deferSync: Bool = false) throws -> Stored {
        // Plain POSIX calls and string paths: a consent stage stores thousands of small files,
        // and Foundation's InputStream and URL building cost more than reading them.
        let input = open(source.path, O_RDONLY)
        guard input >= 0 else {
            throw WorkspaceError.unreadableFile(path: source.path, reason: errno == ENOENT ? "no such file" : ObjectStore.failure("cannot open it"))
        }
        defer { close(input) }
        var status = stat()
        let size = fstat(input, &status) == 0 ? Int(status.st_size) : 1 << 20
        let temporary = try TemporaryFile(in: self)
        defer { temporary.discard() }
        var hasher = SHA256()
        var total: Int64 = 0
        // A buffer the size of the file, up to 1 MiB: consent documents are small and many.
        var buffer = [UInt8](repeating: 0, count: max(4096, min(1 << 20, size + 1)))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WorkspaceError.unreadableFile(path: source.path, reason: errno == EISDIR ? "it is a directory" : ObjectStore.failure("read failed"))
            }
            if count == 0 { break }
            try buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                hasher.update(bufferPointer: chunk)
                try temporary.write(chunk)
            }
            total += Int64(count)
        }
        let digest = Hex.encode(hasher.finalize())
        let isNew = try temporary.place(as: digest)
        if isNew, !deferSync { try synchronize([digest]) }
        return Stored(sha256: digest, byteCount: total, isNew: isNew)
    }

    /// Stores bytes (written to a temporary file, renamed into place, flushed).
    /// - parameter deferSync: leave flushing to a later `synchronize(_:)`.
    /// - throws: `WorkspaceError.storage` when the store cannot be written.
    public func store(bytes: [UInt8], deferSync: Bool = false) throws -> Stored {
        let digest = Hex.encode(SHA256.hash(data: bytes))
        if contains(digest) { return Stored(sha256: digest, byteCount: Int64(bytes.count), isNew: false) }
        let temporary = try TemporaryFile(in: self)
        defer { temporary.discard() }
        try bytes.withUnsafeBytes { try temporary.write($0) }
        let isNew = try temporary.place(as: digest)
        if isNew, !deferSync { try synchronize([digest]) }
        return Stored(sha256: digest, byteCount: Int64(bytes.count), isNew: isNew)
    }

    /// The folder of temporary files (blobs being written, spools); emptied of a dead process's
    /// files by `removeLeftovers()`.
    public var temporaryFolder: String { "\(root.path)/tmp" }

    /// An output written to a new temporary file of the store, to be stored with `place(_:)`
    /// without copying (a contract output or a report over millions of records).
    /// - throws: `WorkspaceError.storage` when the file cannot be created.
    public func newTemporaryOutput() throws -> HashingOutput {
        do { return try HashingOutput(temporaryFileIn: temporaryFolder) } catch { throw WorkspaceError.storage("\(error)") }
    }

    /// Stores a finished temporary output by renaming its file to its digest's path.
    /// - parameter deferSync: leave flushing to a later `synchronize(_:)`.
    /// - throws: `WorkspaceError.storage` when the output failed or cannot be moved.
    public func place(_ output: HashingOutput, deferSync: Bool = false) throws -> Stored {
        let summary: HashingOutput.Summary
        do { summary = try output.finish() } catch { throw WorkspaceError.storage("\(error)") }
        guard let path = output.path else { throw WorkspaceError.storage("only an output written to a temporary file of the store can be placed") }
        if contains(summary.sha256) {
            // The store holds these bytes already: this copy goes now.
            unlink(path)
            return Stored(sha256: summary.sha256, byteCount: summary.byteCount, isNew: false)
        }
        try ObjectStore.makeDirectory(folder(for: summary.sha256))
        guard rename(path, self.path(for: summary.sha256)) == 0 else {
            throw WorkspaceError.storage(ObjectStore.failure("cannot write \(self.path(for: summary.sha256))"))
        }
        output.keepFile()
        if !deferSync { try synchronize([summary.sha256]) }
        return Stored(sha256: summary.sha256, byteCount: summary.byteCount, isNew: true)
    }

    /// Removes what killed processes left in `tmp/`: files whose writer (the process id their name
    /// starts with) is no longer running, and files of the older `tmp/<uuid>` form.
    public func removeLeftovers() {
        let folder = "\(root.path)/tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            let prefix = name.split(separator: "-", maxSplits: 1).first.flatMap { Int32($0) }
            if let pid = prefix, ProcessLiveness.isRunning(pid) { continue }
            unlink("\(folder)/\(name)")
        }
    }

    /// A blob being written: `tmp/<pid>-<uuid>` until it is renamed to its digest's path.
    private final class TemporaryFile {
        let store: ObjectStore
        let path: String
        private var descriptor: Int32
        private var placed = false

        init(in store: ObjectStore) throws {
            self.store = store
            let folder = "\(store.root.path)/tmp"
            try ObjectStore.makeDirectory(folder)
            // The writer's process id first: leftovers of a process that died are recognised.
            path = "\(folder)/\(getpid())-\(UUID().uuidString)"
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard descriptor >= 0 else { throw WorkspaceError.storage(ObjectStore.failure("cannot write in \(store.root.path)")) }
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var written = 0
            while written < bytes.count {
                let n = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw WorkspaceError.storage(ObjectStore.failure("cannot write in \(store.root.path)")) }
                written += n
            }
        }

        /// Closes the file and renames it to the blob's path.
        /// - returns: false when the store held the blob already (this copy is dropped).
        func place(as digest: String) throws -> Bool {
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw WorkspaceError.storage(ObjectStore.failure("cannot write in \(store.root.path)")) }
            if store.contains(digest) { return false }
            try ObjectStore.makeDirectory(store.folder(for: digest))
            guard rename(path, store.path(for: digest)) == 0 else {
                throw WorkspaceError.storage(ObjectStore.failure("cannot write \(store.path(for: digest))"))
            }
            placed = true
            return true
        }

        /// Removes the file unless it was placed.
        func discard() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
            if !placed { unlink(path) }
        }
    }

    /// mkdir -p, by path.
    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WorkspaceError.storage("cannot create \(path): \(error.localizedDescription)")
        }
    }

    private static func failure(_ what: String) -> String { "\(what): \(String(cString: strerror(errno)))" }

    /// Makes stored blobs durable: flushes each blob's bytes, then the directories that name
    /// them, so that a commit referring to them never outlives them after a power cut.
    /// - throws: `WorkspaceError.storage` when a flush fails.
    public func synchronize(_ digests: [String]) throws {
        // Many blobs: one flush of the whole file system (Linux) costs far less than one per file.
        if digests.count >= ObjectStore.fileSystemFlushThreshold {
            let descriptor = open(root.path, O_RDONLY)
            if descriptor >= 0 {
                defer { close(descriptor) }
                if trialchain_syncfs(descriptor) == 0 { return }
            }
        }
        var folders = Set<String>()
        for digest in digests {
            try ObjectStore.flush(path(for: digest))
            folders.insert(folder(for: digest))
        }
        for folder in folders.sorted() { try ObjectStore.flush(folder) }
        if !folders.isEmpty { try ObjectStore.flush("\(root.path)/sha256") }
    }

    /// From this many blobs on, `synchronize` flushes the file system at once where it can.
    static let fileSystemFlushThreshold = 16

    /// fsync(2) of a file or directory by path.
    private static func flush(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw WorkspaceError.storage("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw WorkspaceError.storage("cannot flush \(path): \(String(cString: strerror(errno)))") }
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

/// Whether a process is still running (for leftovers named after their writer's process id).
enum ProcessLiveness {
    static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
