import GRDB

/// The workspace database schema and its migrations.
///
/// Ledger tables are append-only: triggers refuse UPDATE and DELETE. That prevents accidents,
/// not attacks; attacks are caught by `verify` against checkpoints held elsewhere.
enum Schema {
    /// `PRAGMA application_id` of a TrialChain workspace ("TChn").
    static let applicationID: Int32 = 0x5443_686E
    /// The newest schema version this build writes.
    static let version = 1

    /// Tables that only ever grow.
    static let appendOnlyTables = ["workspace_meta", "ledger_entries", "ledger_tiles", "ledger_checkpoints", "objects", "anchored_files"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE workspace_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE ledger_entries (
                    idx INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
                    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
                    entry BLOB NOT NULL
                );
                -- Tiles in the c2sp.org/tlog-tiles sense, with interior rows appended after the base row.
                CREATE TABLE ledger_tiles (
                    level INTEGER NOT NULL CHECK (level >= 0),
                    idx INTEGER NOT NULL CHECK (idx >= 0),
                    width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
                    hashes BLOB NOT NULL,
                    PRIMARY KEY (level, idx, width)
                );
                CREATE TABLE ledger_checkpoints (
                    size INTEGER PRIMARY KEY NOT NULL CHECK (size >= 0),
                    root BLOB NOT NULL CHECK (length(root) = 32),
                    note TEXT NOT NULL,
                    signed_at TEXT NOT NULL
                );
                CREATE TABLE objects (
                    sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
                    byte_count INTEGER NOT NULL,
                    stored_at TEXT NOT NULL
                );
                CREATE TABLE anchored_files (
                    entry_idx INTEGER NOT NULL REFERENCES ledger_entries(idx),
                    name TEXT NOT NULL,
                    sha256 TEXT NOT NULL REFERENCES objects(sha256),
                    PRIMARY KEY (entry_idx, name)
                );
                """)
            for table in appendOnlyTables {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: corrections are new versions'); END;
                    CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: nothing anchored is ever deleted'); END;
                    """)
            }
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        }
        return migrator
    }
}
