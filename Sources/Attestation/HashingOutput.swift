import Crypto
import Foundation
import MerkleLog

/// Bytes written once, front to back, hashed (SHA-256) and counted as they go: kept in memory,
/// written to a file, or only hashed. A contract's output over millions of records and its
/// reports are written this way, so that they never sit whole in memory; re-execution writes to a
/// digest-only output and compares the digest with the anchored one.
///
/// Writes do not throw: the first failure is kept and `finish()` throws it (as `FILE *` and
/// `ferror` do), so that renderers stay readable.
public final class HashingOutput {
    /// What the finished bytes were.
    public struct Summary: Equatable, Sendable {
        /// Lowercase hex SHA-256.
        public let sha256: String
        public let byteCount: Int64
    }

    private enum Destination {
        case memory
        case file(descriptor: Int32, path: String)
        case digestOnly
    }

    private var destination: Destination
    /// Where `spool()` puts its temporary files (nil: spools stay in memory).
    private let spoolFolder: String?
    /// Pending bytes (file, digest only), or every byte (memory).
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var count: Int64 = 0
    private var failure: String?
    private var summary: Summary?
    private var fileKept = false

    private static let flushSize = 1 << 20

    /// An output kept in memory (`bytes`).
    public init() {
        destination = .memory
        spoolFolder = nil
    }

    /// An output that keeps nothing but its digest and size; its spools are temporary files in
    /// `spoolFolder` (in memory without one).
    public static func digestOnly(spoolingIn spoolFolder: String? = nil) -> HashingOutput {
        HashingOutput(destination: .digestOnly, spoolFolder: spoolFolder)
    }

    private init(destination: Destination, spoolFolder: String?) {
        self.destination = destination
        self.spoolFolder = spoolFolder
    }

    /// An output written to a new temporary file in `folder` (named `<pid>-<uuid>`, so that what
    /// a killed process leaves is recognised); the file is removed when the output goes away
    /// unless `keepFile()` was called (it was moved into place).
    /// - throws: `HashingOutput.Failure` when the file cannot be created.
    public init(temporaryFileIn folder: String) throws {
        if mkdir(folder, 0o755) != 0, errno != EEXIST {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let path = "\(folder)/\(getpid())-\(UUID().uuidString)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw Failure(message: "cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))") }
        destination = .file(descriptor: descriptor, path: path)
        spoolFolder = folder
    }

    deinit {
        if case let .file(descriptor, path) = destination {
            if descriptor >= 0 { close(descriptor) }
            if !fileKept { unlink(path) }
        }
    }

    /// Why an output could not be written.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// A scratch output of the same kind for a part that must be written before it is known
    /// where it goes (a table whose totals come later): a temporary file beside this output's, or
    /// memory.
    public func spool() throws -> HashingOutput {
        guard let spoolFolder else { return HashingOutput() }
        if let spool = try? HashingOutput(temporaryFileIn: spoolFolder) { return spool }
        // A read-only workspace (an auditor's copy, re-executed): scratch space in the system's.
        return try HashingOutput(temporaryFileIn: (NSTemporaryDirectory() as NSString).appendingPathComponent("trialchain-spool"))
    }

    /// The temporary file, for an output written to one.
    public var path: String? {
        if case let .file(_, path) = destination { return path }
        return nil
    }

    /// Every byte written (memory outputs; empty otherwise).
    public var bytes: [UInt8] {
        if case .memory = destination { return buffer }
        return []
    }

    /// Bytes written so far.
    public var byteCount: Int64 { count }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        count += Int64(bytes.count)
        if buffer.count >= HashingOutput.flushSize { flush() }
    }

    /// Appends bytes from a buffer (a chunk of a file being copied).
    public func write(_ raw: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: raw)
        count += Int64(raw.count)
        if buffer.count >= HashingOutput.flushSize { flush() }
    }

    /// Appends a string's UTF-8 bytes.
    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        count += Int64(text.utf8.count)
        if buffer.count >= HashingOutput.flushSize { flush() }
    }

    /// Appends everything a spool holds (finishing it first).
    public func write(contentsOf spool: HashingOutput) throws {
        _ = try spool.finish()
        switch spool.destination {
        case .memory: write(spool.buffer)
        case .digestOnly: throw Failure(message: "a digest-only output cannot be copied")
        case let .file(_, path):
            let input = open(path, O_RDONLY)
            guard input >= 0 else { throw Failure(message: "cannot read \(path) back: \(String(cString: strerror(errno)))") }
            defer { close(input) }
            var chunk = [UInt8](repeating: 0, count: HashingOutput.flushSize)
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(input, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw Failure(message: "cannot read \(path) back: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                write(Array(chunk[0..<n]))
            }
        }
    }

    /// Hashes (and writes, for a file) what is pending.
    private func flush() {
        switch destination {
        case .memory: return
        case .digestOnly:
            hasher.update(data: buffer)
        case let .file(descriptor, path):
            hasher.update(data: buffer)
            if failure == nil {
                var written = 0
                buffer.withUnsafeBytes { raw in
                    while written < raw.count {
                        let n = Foundation.write(descriptor, raw.baseAddress! + written, raw.count - written)
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else {
                            failure = "cannot write \(path): \(String(cString: strerror(errno)))"
                            return
                        }
                        written += n
                    }
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Ends the output: the digest and size of every byte written. Later calls return the same.
    /// - throws: `Failure` when a write failed (disk full, say).
    @discardableResult
    public func finish() throws -> Summary {
        if let summary { return summary }
        if case .memory = destination { hasher.update(data: buffer) } else { flush() }
        if let failure { throw Failure(message: failure) }
        if case let .file(descriptor, path) = destination {
            let closed = close(descriptor)
            destination = .file(descriptor: -1, path: path)
            guard closed == 0 else { throw Failure(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        }
        let done = Summary(sha256: Hex.encode(hasher.finalize()), byteCount: count)
        summary = done
        return done
    }

    /// The file was moved into place: it is not removed when the output goes away.
    public func keepFile() { fileKept = true }
}
