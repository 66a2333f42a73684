import Foundation
import NIOCore

/// A multipart/form-data body streamed from files: each part's header is built in memory, each
/// file is read 1 MiB at a time as the connection takes it, so a file of any size is never held
/// whole. The length is known before the first byte (`Content-Length`); a file whose size changes
/// while it is sent fails the upload instead of sending bytes its signature does not cover.
struct MultipartFileBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    enum Segment: Sendable {
        case bytes([UInt8])
        case file(path: String, size: Int64)
    }

    let segments: [Segment]
    /// The body's length in bytes.
    let length: Int64

    /// - parameters:
    ///   - files: each part's form name, the file name it is sent under (nil for none) and the file.
    ///   - fields: text parts after the files (form name, value).
    /// - throws: `HTTPTransportError` when a file cannot be read, or a file name could not be
    ///   written in a `Content-Disposition` header.
    init(boundary: String, files: [(name: String, filename: String?, file: URL)], fields: [(name: String, value: String)]) throws {
        var segments: [Segment] = []
        for (name, filename, file) in files {
            if let filename, filename.contains(where: { $0 == "\"" || $0 == "\r" || $0 == "\n" }) {
                throw HTTPTransportError("\(file.path): a file name with a quote or a line break cannot be sent; rename the file")
            }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                  attributes[.type] as? FileAttributeType == .typeRegular, let size = (attributes[.size] as? NSNumber)?.int64Value else {
                throw HTTPTransportError("cannot read \(file.path): not a readable regular file")
            }
            let disposition = "form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
            segments.append(.bytes(Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)))
            segments.append(.file(path: file.path, size: size))
            segments.append(.bytes(Array("\r\n".utf8)))
        }
        for (name, value) in fields {
            segments.append(.bytes(Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)))
        }
        segments.append(.bytes(Array("--\(boundary)--\r\n".utf8)))
        self.segments = segments
        self.length = segments.reduce(0) { total, segment in
            switch segment {
            case let .bytes(bytes): total + Int64(bytes.count)
            case let .file(_, size): total + size
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(segments: segments[...]) }

    struct AsyncIterator: AsyncIteratorProtocol {
        var segments: ArraySlice<Segment>
        var open: OpenFile?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if let file = open {
                    if let chunk = try file.read() { return chunk }
                    open = nil
                    continue
                }
                guard let segment = segments.popFirst() else { return nil }
                switch segment {
                case let .bytes(bytes): return ByteBuffer(bytes: bytes)
                case let .file(path, size): open = try OpenFile(path: path, size: size)
                }
            }
        }
    }

    /// One file being sent: closed when read to its end or when the upload stops.
    final class OpenFile {
        let path: String
        let fd: Int32
        var remaining: Int64

        init(path: String, size: Int64) throws {
            fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw HTTPTransportError("cannot read \(path): \(String(cString: strerror(errno)))") }
            self.path = path
            remaining = size
        }

        deinit { close(fd) }

        /// The next chunk, or nil at the end; throws when the file is longer or shorter than it
        /// was, or cannot be read.
        func read() throws -> ByteBuffer? {
            guard remaining > 0 else {
                // At the measured size the file must end here.
                var probe: UInt8 = 0
                guard try readSome(into: &probe, 1) == 0 else { throw changed() }
                return nil
            }
            let wanted = Int(Swift.min(remaining, 1 << 20))
            var buffer = ByteBuffer()
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw in
                try readSome(into: raw.baseAddress!, wanted)
            }
            guard got > 0 else { throw changed() }
            remaining -= Int64(got)
            return buffer
        }

        /// One read(2), retried when interrupted.
        private func readSome(into destination: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
            while true {
                let n = Foundation.read(fd, destination, count)
                if n >= 0 { return n }
                guard errno == EINTR else { throw HTTPTransportError("cannot read \(path): \(String(cString: strerror(errno)))") }
            }
        }

        func changed() -> HTTPTransportError {
            HTTPTransportError("\(path) changed while it was being sent (its size is no longer the size measured before the upload); nothing was accepted")
        }
    }
}
