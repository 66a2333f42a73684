/// Why a CSV file cannot be read as UTF-8 RFC 4180. Each names the file and the line.
public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case unreadable(file: String, reason: String)
    /// The file is UTF-16 (it starts with a UTF-16 byte-order mark).
    case utf16(file: String)
    /// A field is not valid UTF-8 (Latin-1 or Windows-1252 exports, for example).
    case invalidUTF8(file: String, line: Int, column: Int)
    /// A field contains a NUL byte.
    case nulByte(file: String, line: Int, column: Int)
    /// The quoting breaks RFC 4180 (a stray quote, an unterminated quoted field).
    case malformed(file: String, line: Int, reason: String)
    /// A field longer than the reader accepts.
    case fieldTooLong(file: String, line: Int, column: Int, limit: Int)
    /// The file has no header row.
    case empty(file: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .utf16(file): return "\(file): the file is UTF-16; save it as UTF-8 (with or without BOM) and ingest it again"
        case let .invalidUTF8(file, line, column):
            return "\(file):\(line): field \(column) is not valid UTF-8 (is the file Latin-1 or Windows-1252? save it as UTF-8)"
        case let .nulByte(file, line, column): return "\(file):\(line): field \(column) contains a NUL byte"
        case let .malformed(file, line, reason): return "\(file):\(line): malformed CSV: \(reason)"
        case let .fieldTooLong(file, line, column, limit): return "\(file):\(line): field \(column) is longer than \(limit) bytes"
        case let .empty(file): return "\(file): the file is empty; expected a header row"
        }
    }
}
