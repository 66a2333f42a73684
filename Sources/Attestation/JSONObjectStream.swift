import Crypto
import Foundation
import MerkleLog

/// Reads a JSON object whose one array member is too large to hold (a contract output's
/// `participants` over millions of records): every other member is parsed whole, the array's
/// elements one at a time as they are reached, so memory holds one element, never the file.
/// Each piece is parsed by the same strict parser as `JSONValue.parse`; keys must not repeat.
public struct JSONObjectStream {
    /// Where the bytes are.
    public enum Source: Sendable {
        /// A file, read in 1 MiB chunks.
        case file(String)
        /// Bytes in memory (small outputs, tests).
        case bytes([UInt8])
    }

    public let source: Source
    /// The member whose array is streamed.
    public let arrayKey: String

    public init(_ source: Source, streaming arrayKey: String) {
        self.source = source
        self.arrayKey = arrayKey
    }

    /// Reads the object in file order: `member` for every member but the streamed array, and
    /// `element` for each of its elements (nil: the elements are skipped without being parsed, for
    /// a first pass that needs only the other members).
    /// - returns: the SHA-256 and size of every byte read (to compare with an anchored digest).
    /// - throws: `AttestationError.malformedJSON` (with the byte offset), what the callbacks throw,
    ///   `HashingOutput.Failure` when the file cannot be read.
    @discardableResult
    public func read(member: (String, JSONValue) throws -> Void, element: ((JSONValue) throws -> Void)?) throws -> HashingOutput.Summary {
        let cursor = try Cursor(source)
        var scratch: [UInt8] = []
        var seen = Set<String>()
        try cursor.skipWhitespace()
        guard try cursor.take() == UInt8(ascii: "{") else { throw cursor.fail("expected '{'") }
        try cursor.skipWhitespace()
        if try cursor.peek() == UInt8(ascii: "}") {
            _ = try cursor.take()
        } else {
            while true {
                try cursor.skipWhitespace()
                guard try cursor.peek() == UInt8(ascii: "\"") else { throw cursor.fail("expected a key") }
                let keyAt = cursor.offset
                try cursor.capture(into: &scratch)
                guard case let .string(key) = try parse(scratch, at: keyAt) else { throw cursor.fail("expected a key") }
                guard seen.insert(key).inserted else { throw cursor.fail("duplicate key \"\(key)\"") }
                try cursor.skipWhitespace()
                guard try cursor.take() == UInt8(ascii: ":") else { throw cursor.fail("expected ':'") }
                try cursor.skipWhitespace()
                if key == arrayKey, try cursor.peek() == UInt8(ascii: "[") {
                    _ = try cursor.take()
                    try cursor.skipWhitespace()
                    if try cursor.peek() == UInt8(ascii: "]") {
                        _ = try cursor.take()
                    } else {
                        while true {
                            try cursor.skipWhitespace()
                            let at = cursor.offset
                            try cursor.capture(into: &scratch)
                            if let element { try element(try parse(scratch, at: at)) }
                            try cursor.skipWhitespace()
                            let next = try cursor.take()
                            if next == UInt8(ascii: ",") { continue }
                            guard next == UInt8(ascii: "]") else { throw cursor.fail("expected ',' or ']'") }
                            break
                        }
                    }
                } else {
                    let at = cursor.offset
                    try cursor.capture(into: &scratch)
                    try member(key, try parse(scratch, at: at))
                }
                try cursor.skipWhitespace()
                let next = try cursor.take()
                if next == UInt8(ascii: ",") { continue }
                guard next == UInt8(ascii: "}") else { throw cursor.fail("expected ',' or '}'") }
                break
            }
        }
        try cursor.skipWhitespace()
        guard try cursor.peek() == nil else { throw cursor.fail("unexpected text after the JSON value") }
        return cursor.summary()
    }

    private func parse(_ bytes: [UInt8], at offset: Int64) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch let AttestationError.malformedJSON(why) {
            throw AttestationError.malformedJSON("\(why) of the value starting at byte \(offset)")
        }
    }

    /// Bytes in order, hashed as they are consumed.
    private final class Cursor {
        private var chunk: [UInt8]
        private var position = 0
        private var descriptor: Int32 = -1
        private let path: String?
        private var hasher = SHA256()
        private var consumedBefore: Int64 = 0
        private var atEnd = false

        init(_ source: Source) throws {
            switch source {
            case let .bytes(bytes):
                chunk = bytes
                path = nil
                hasher.update(data: bytes)
                atEnd = true
            case let .file(file):
                path = file
                chunk = []
                descriptor = open(file, O_RDONLY)
                guard descriptor >= 0 else { throw HashingOutput.Failure(message: "cannot read \(file): \(String(cString: strerror(errno)))") }
            }
        }

        deinit { if descriptor >= 0 { close(descriptor) } }

        /// The offset of the next byte.
        var offset: Int64 { consumedBefore + Int64(position) }

        func fail(_ message: String) -> AttestationError { .malformedJSON("\(message) at byte \(offset)") }

        /// Reads the next chunk; false at the end of the input.
        private func refill() throws -> Bool {
            if atEnd { return false }
            consumedBefore += Int64(chunk.count)
            if chunk.count != 1 << 20 { chunk = [UInt8](repeating: 0, count: 1 << 20) }
            position = 0
            var n = 0
            repeat {
                n = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            } while n < 0 && errno == EINTR
            guard n >= 0 else { throw HashingOutput.Failure(message: "cannot read \(path ?? ""): \(String(cString: strerror(errno)))") }
            if n < chunk.count { chunk.removeSubrange(n...) }
            hasher.update(data: chunk)
            if n == 0 { atEnd = true }
            return n > 0
        }

        func peek() throws -> UInt8? {
            if position == chunk.count, !(try refill()) { return nil }
            return chunk[position]
        }

        func take() throws -> UInt8? {
            guard let byte = try peek() else { return nil }
            position += 1
            return byte
        }

        func skipWhitespace() throws {
            while let byte = try peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        /// Copies the bytes of the value that starts here (an object, array, string or scalar)
        /// into `out`, by bracket depth outside strings; the parser then judges them.
        func capture(into out: inout [UInt8]) throws {
            out.removeAll(keepingCapacity: true)
            guard let first = try peek() else { throw fail("unexpected end of input") }
            let container = first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
            let string = first == UInt8(ascii: "\"")
            var depth = 0, inString = false, escaped = false
            while true {
                if position == chunk.count, !(try refill()) {
                    if container || string { throw fail("unexpected end of input") }
                    return
                }
                let end: Int? = chunk.withUnsafeBufferPointer { bytes -> Int? in
                    var index = position
                    while index < bytes.count {
                        let byte = bytes[index]
                        if !container && !string {
                            switch byte {
                            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return index
                            default: index += 1; continue
                            }
                        }
                        if inString {
                            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                                inString = false
                                if string { return index + 1 }
                            }
                        } else if byte == UInt8(ascii: "\"") {
                            inString = true
                        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                            depth += 1
                        } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                            depth -= 1
                            if depth == 0 { return index + 1 }
                        }
                        index += 1
                    }
                    return nil
                }
                let stop = end ?? chunk.count
                out.append(contentsOf: chunk[position..<stop])
                position = stop
                if end != nil { return }
            }
        }

        func summary() -> HashingOutput.Summary {
            HashingOutput.Summary(sha256: Hex.encode(hasher.finalize()), byteCount: consumedBefore + Int64(chunk.count))
        }
    }
}
