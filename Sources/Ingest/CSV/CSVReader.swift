import CLibCSV
import Foundation

/// One CSV record: its fields and the physical line it starts on (1-based, as an editor shows).
public struct CSVRecord: Equatable, Sendable {
    /// The line the record starts on.
    public let line: Int
    /// The fields, unquoted.
    public let fields: [String]
}

/// One CSV record seen in place: its fields as UTF-8 bytes (valid UTF-8, no NUL), valid only
/// during the call that receives it. For readers that must not allocate per row.
public struct CSVRow {
    /// The line the record starts on.
    public let line: Int
    let bytes: UnsafeRawBufferPointer
    let bounds: UnsafeBufferPointer<Int>

    /// The number of fields.
    public var count: Int { bounds.count - 1 }

    /// The bytes of field `index`.
    public subscript(index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[bounds[index]..<bounds[index + 1]])
    }

    /// Field `index` as a string.
    public func string(_ index: Int) -> String { String(decoding: self[index], as: UTF8.self) }

    /// Every field as a string.
    public var strings: [String] { (0..<count).map(string) }
}

/// A streaming RFC 4180 reader over libcsv: UTF-8 with or without BOM; LF, CRLF or CR line ends;
/// quoted fields with `""` escapes and embedded line breaks. Memory does not grow with the file.
///
/// It is strict: a stray quote, an unterminated quoted field, invalid UTF-8 or a NUL byte is an
/// error naming the line, never silently repaired. (Rows with the wrong number of fields are
/// returned as they are: whether that rejects a row is the caller's rule.)
public final class CSVReader {
    /// The file's name as reported in errors.
    public let displayName: String
    private let url: URL
    /// The longest field accepted, in bytes.
    public let maximumFieldBytes: Int

    /// A reader for the file at `url`, reported as `displayName` in errors.
    public init(url: URL, displayName: String? = nil, maximumFieldBytes: Int = 1 << 20) {
        self.url = url
        self.displayName = displayName ?? url.path
        self.maximumFieldBytes = maximumFieldBytes
    }

    /// Reads every record in order, the header row included.
    /// - throws: `CSVError` naming the file and line; whatever `body` throws.
    /// - parameter observe: called with every chunk of the file's bytes as read (see `forEachRow`).
    public func forEachRecord(observing observe: ((UnsafeRawBufferPointer) throws -> Void)? = nil, _ body: (CSVRecord) throws -> Void) throws {
        try forEachRow(observing: observe) { row in try body(CSVRecord(line: row.line, fields: row.strings)) }
    }

    /// Reads every record in order, the header row included, without copying fields out:
    /// each row's bytes are valid only during the call.
    /// - parameter observe: called with every chunk of the file's bytes as read, before any is
    ///   parsed (a stage hashes and stores exactly the bytes it parses this way).
    /// - throws: `CSVError` naming the file and line; whatever `observe` or `body` throws.
    public func forEachRow(observing observe: ((UnsafeRawBufferPointer) throws -> Void)? = nil, _ body: (CSVRow) throws -> Void) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CSVError.unreadable(file: displayName, reason: errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let state = ParseState(file: displayName, maximumFieldBytes: maximumFieldBytes)
        var parser = csv_parser()
        guard csv_init(&parser, UInt8(CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) == 0 else {
            throw CSVError.unreadable(file: displayName, reason: "libcsv could not start")
        }
        defer { csv_free(&parser) }
        csv_set_blk_size(&parser, 1 << 16)
        // libcsv trims spaces and tabs around unquoted fields by default; keep every byte.
        csv_set_space_func(&parser, trialchain_csv_never_space)

        var first = true
        var pendingCR = false
        // One buffer for the whole file, filled by read(2): no per-chunk allocation or copy.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        try withExtendedLifetime(state) {
            let context = Unmanaged.passUnretained(state).toOpaque()
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw CSVError.unreadable(file: displayName, reason: String(cString: strerror(errno)))
                }
                if count == 0 { break }
                var chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                try observe?(chunk)
                if first {
                    first = false
                    if chunk.starts(with: [0xFF, 0xFE]) || chunk.starts(with: [0xFE, 0xFF]) { throw CSVError.utf16(file: displayName) }
                    if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk = UnsafeRawBufferPointer(rebasing: chunk[3...]) }
                }
                do {
                    let raw = chunk
                    // Feed one physical line at a time so every record knows the line it starts on.
                    // A line ends at LF, CRLF or a lone CR.
                    var start = 0
                    var index = 0
                    if !pendingCR, let base = raw.baseAddress, memchr(base, 0x0D, raw.count) == nil {
                        // No CR in this chunk (the common case): lines end at LF, found with memchr.
                        while start < raw.count, let found = memchr(base + start, 0x0A, raw.count - start) {
                            let end = base.distance(to: UnsafeRawPointer(found)) + 1
                            try feed(&parser, raw, start..<end, state, context)
                            start = end
                            state.line += 1
                        }
                        index = raw.count
                    }
                    while index < raw.count {
                        let byte = raw[index]
                        if pendingCR {
                            pendingCR = false
                            if byte == 0x0A { index += 1 }
                            try feed(&parser, raw, start..<index, state, context)
                            start = index
                            state.line += 1
                            continue
                        }
                        index += 1
                        if byte == 0x0A {
                            try feed(&parser, raw, start..<index, state, context)
                            start = index
                            state.line += 1
                        } else if byte == 0x0D {
                            pendingCR = true
                        }
                    }
                    try feed(&parser, raw, start..<raw.count, state, context)
                }
                try state.deliver(body)
            }
            if pendingCR { state.line += 1 }
            guard csv_fini(&parser, fieldCallback, rowCallback, context) == 0 else {
                throw CSVError.malformed(file: displayName, line: state.recordLine, reason: "a quoted field is not closed before the end of the file")
            }
            try state.deliver(body)
        }
        if state.recordCount == 0 { throw CSVError.empty(file: displayName) }
    }

    private func feed(_ parser: inout csv_parser, _ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ state: ParseState, _ context: UnsafeMutableRawPointer) throws {
        guard !range.isEmpty else { return }
        // pstate 0 is libcsv's ROW_NOT_BEGUN: what comes next starts a record.
        if parser.pstate == 0 { state.recordLine = state.line }
        let consumed = csv_parse(&parser, raw.baseAddress! + range.lowerBound, range.count, fieldCallback, rowCallback, context)
        if let error = state.error { throw error }
        guard consumed == range.count else {
            let reason = csv_error(&parser) == CSV_EPARSE
                ? "a quote inside an unquoted field, or text after a closing quote (RFC 4180: quote the whole field and double inner quotes)"
                : String(cString: csv_strerror(csv_error(&parser)))
            throw CSVError.malformed(file: state.file, line: state.line, reason: reason)
        }
    }
}

/// State shared with libcsv's C callbacks through their context pointer. Fields of the records
/// completed in the current chunk are kept in one buffer, delivered and then reused.
private final class ParseState {
    let file: String
    let maximumFieldBytes: Int
    // Only the reader's own thread touches this state, through libcsv's callbacks: the dynamic
    // exclusivity checks Swift would make on every field are not needed.
    @exclusivity(unchecked) var line = 1
    @exclusivity(unchecked) var recordLine = 1
    @exclusivity(unchecked) var error: CSVError?
    @exclusivity(unchecked) var recordCount = 0
    /// Field bytes of the completed records, then of the record in progress.
    @exclusivity(unchecked) private var bytes: [UInt8] = []
    /// Field boundaries in `bytes`: each record's start, then the end of each of its fields.
    @exclusivity(unchecked) private var bounds: [Int] = [0]
    /// Per completed record: its line, and where its boundaries start in `bounds`.
    @exclusivity(unchecked) private var records: [(line: Int, firstBound: Int)] = []
    /// Where the record in progress starts in `bounds`.
    @exclusivity(unchecked) private var openRecord = 0

    init(file: String, maximumFieldBytes: Int) {
        self.file = file
        self.maximumFieldBytes = maximumFieldBytes
        bytes.reserveCapacity(1 << 21)
        bounds.reserveCapacity(1 << 16)
    }

    func addField(_ field: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        let column = bounds.count - openRecord
        if field.count > maximumFieldBytes {
            error = .fieldTooLong(file: file, line: recordLine, column: column, limit: maximumFieldBytes)
            return
        }
        // ASCII without NUL is the common case; anything else is checked properly.
        var plain = true
        for byte in field where byte == 0 || byte >= 0x80 {
            plain = false
            break
        }
        if !plain {
            if field.contains(0) {
                error = .nulByte(file: file, line: recordLine, column: column)
                return
            }
            guard String(validating: field, as: UTF8.self) != nil else {
                error = .invalidUTF8(file: file, line: recordLine, column: column)
                return
            }
        }
        bytes.append(contentsOf: field)
        bounds.append(bytes.count)
    }

    func endRecord() {
        guard error == nil else { return }
        records.append((recordLine, openRecord))
        recordCount += 1
        openRecord = bounds.count
        bounds.append(bytes.count)
    }

    func deliver(_ body: (CSVRow) throws -> Void) throws {
        if let error { throw error }
        guard !records.isEmpty else { return }
        let openStart = openRecord
        try bytes.withUnsafeBytes { buffer in
            try bounds.withUnsafeBufferPointer { allBounds in
                // Through buffer pointers: no reference counting per row.
                try records.withUnsafeBufferPointer { records in
                    for index in records.indices {
                        let record = records[index]
                        // Up to the next record's start, which repeats this record's last end.
                        let end = (index + 1 < records.count ? records[index + 1].firstBound : openStart) - 1
                        try body(CSVRow(line: record.line, bytes: buffer, bounds: UnsafeBufferPointer(rebasing: allBounds[record.firstBound...end])))
                    }
                }
            }
        }
        // Keep the record in progress (a quoted field may span chunks) at the front.
        let keptFrom = bounds[openRecord]
        let kept = Array(bounds[openRecord...]).map { $0 - keptFrom }
        bytes.removeSubrange(0..<keptFrom)
        bounds.removeAll(keepingCapacity: true)
        bounds.append(contentsOf: kept)
        records.removeAll(keepingCapacity: true)
        openRecord = 0
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, length, context in
    // The reader keeps the state alive for the whole parse: no retain per call.
    Unmanaged<ParseState>.fromOpaque(context!)._withUnsafeGuaranteedRef {
        $0.addField(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
    }
}

private let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
    Unmanaged<ParseState>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.endRecord() }
}
