import GRDB
import GRDBSQLite

/// A prepared SQLite statement on GRDB's connection, for the hot bulk-insert loops where
/// GRDB's argument boxing would dominate. Internal: no C type leaves this module.
final class RawStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw WorkspaceError.storage("the database is closed") }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw WorkspaceError.storage(String(cString: sqlite3_errmsg(connection)))
        }
        self.handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ position: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, position, value)
    }

    /// Binds bytes that SQLite copies (the buffer may go away after this call).
    func bind(_ position: Int32, bytes: UnsafeRawBufferPointer) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_bind_blob(handle, position, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), transient)
    }

    /// Binds text (SQLite copies it), or NULL for nil.
    func bind(_ position: Int32, text: String?) {
        guard var text else { sqlite3_bind_null(handle, position); return }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        // Pass the UTF-8 bytes with their length: no NUL-terminated copy.
        text.withUTF8 { bytes in
            if bytes.isEmpty {
                sqlite3_bind_text(handle, position, "", 0, transient)
            } else {
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    _ = sqlite3_bind_text(handle, position, chars.baseAddress, Int32(chars.count), transient)
                }
            }
        }
    }

    /// Binds UTF-8 text that stays valid until the statement is executed (SQLite does not copy it).
    func bind(_ position: Int32, staticText bytes: UnsafeRawBufferPointer) {
        let isStatic = unsafeBitCast(0, to: sqlite3_destructor_type.self)
        sqlite3_bind_text(handle, position, (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self),
                          Int32(bytes.count), isStatic)
    }

    /// Binds a blob that stays valid until the statement is executed (SQLite does not copy it).
    func bind(_ position: Int32, staticBytes bytes: UnsafeRawBufferPointer) {
        let isStatic = unsafeBitCast(0, to: sqlite3_destructor_type.self)
        sqlite3_bind_blob(handle, position, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), isStatic)
    }

    func bindNull(_ position: Int32) {
        sqlite3_bind_null(handle, position)
    }

    /// Runs an INSERT-like statement to completion and resets it for the next row.
    func execute() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw WorkspaceError.storage(String(cString: sqlite3_errmsg(connection))) }
    }

    /// Steps a query; true while there is a row.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw WorkspaceError.storage(String(cString: sqlite3_errmsg(connection)))
        }
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// A TEXT column ("" for NULL).
    func string(_ column: Int32) -> String {
        sqlite3_column_text(handle, column).map { String(cString: $0) } ?? ""
    }

    /// True when the column is NULL.
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The UTF-8 bytes of a TEXT column (empty for NULL), valid until the next step.
    func text(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let base = sqlite3_column_text(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base, count: Int(sqlite3_column_bytes(handle, column)))
    }

    /// The bytes of a BLOB column, valid until the next step.
    func blob(_ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let base = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base, count: count)
    }
}
