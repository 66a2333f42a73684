import CLibCSV
import Foundation

/// One CSV record: its fields and the physical line it starts on (1-based, as an editor shows).
public struct CSVRecord: Equatable, Sendable {
    /// The line the record starts on.
    public let line: Int
    /// The fields, unquoted.
    public let fields: [String]
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
    public func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw CSVError.unreadable(file: displayName, reason: FileManager.default.fileExists(atPath: url.path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        let state = ParseState(file: displayName, maximumFieldBytes: maximumFieldBytes)
        var parser = csv_parser()
        guard csv_init(&parser, UInt8(CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) == 0 else {
            throw CSVError.unreadable(file: displayName, reason: "libcsv could not start")
        }
        defer { csv_free(&parser) }
        csv_set_blk_size(&parser, 1 << 16)
        // libcsv trims spaces and tabs around unquoted fields by default; keep every byte.
        csv_set_space_func(&parser, { _ in 0 })

        var first = true
        var pendingCR = false
        try withExtendedLifetime(state) {
            let context = Unmanaged.passUnretained(state).toOpaque()
            while true {
                let data: Data
                do {
                    data = try handle.read(upToCount: 1 << 20) ?? Data()
                } catch {
                    throw CSVError.unreadable(file: displayName, reason: error.localizedDescription)
                }
                if data.isEmpty { break }
                var bytes = [UInt8](data)
                if first {
                    first = false
                    if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { throw CSVError.utf16(file: displayName) }
                    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
                }
                try bytes.withUnsafeBytes { raw in
                    // Feed one physical line at a time so every record knows the line it starts on.
                    // A line ends at LF, CRLF or a lone CR.
                    var start = 0
                    var index = 0
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

/// State shared with libcsv's C callbacks through their context pointer.
private final class ParseState {
    let file: String
    let maximumFieldBytes: Int
    var line = 1
    var recordLine = 1
    var fields: [String] = []
    var ready: [CSVRecord] = []
    var error: CSVError?
    var recordCount = 0

    init(file: String, maximumFieldBytes: Int) {
        self.file = file
        self.maximumFieldBytes = maximumFieldBytes
    }

    func addField(_ bytes: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        let column = fields.count + 1
        if bytes.count > maximumFieldBytes {
            error = .fieldTooLong(file: file, line: recordLine, column: column, limit: maximumFieldBytes)
            return
        }
        if bytes.contains(0) {
            error = .nulByte(file: file, line: recordLine, column: column)
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            error = .invalidUTF8(file: file, line: recordLine, column: column)
            return
        }
        fields.append(text)
    }

    func endRecord() {
        guard error == nil else { return }
        ready.append(CSVRecord(line: recordLine, fields: fields))
        recordCount += 1
        fields = []
    }

    func deliver(_ body: (CSVRecord) throws -> Void) throws {
        if let error { throw error }
        for record in ready { try body(record) }
        ready.removeAll(keepingCapacity: true)
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, length, context in
    let state = Unmanaged<ParseState>.fromOpaque(context!).takeUnretainedValue()
    state.addField(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
}

private let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
    Unmanaged<ParseState>.fromOpaque(context!).takeUnretainedValue().endRecord()
}
