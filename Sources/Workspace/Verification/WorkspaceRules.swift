import GRDB

/// Every part of a workspace and the class `verify` puts it in. The schema-driven mutation test
/// enumerates the live schema and requires each table here, so a new table cannot be added
/// without a rule; the README's Auditing section lists the same.
public enum WorkspaceRules {
    /// How `verify` treats a part of the workspace.
    public enum Class: String, Sendable {
        /// A signed entry covers its content; checked both ways.
        case bound
        /// The entries define it; recomputed and compared.
        case derived
        /// Nothing decides anything from it; `verify` ignores or rebuilds it.
        case cache
    }

    /// Tables, with their class and the rule `verify` applies.
    public static let tables: [(name: String, class: Class, rule: String)] = [
        ("ledger_entries", .bound, "the entries themselves: leaf hashes and the tree under every signed checkpoint"),
        ("ledger_tiles", .derived, "recomputed from the entries; every stored tile compared"),
        ("ledger_checkpoints", .bound, "each signed by the ledger key with the root of its size; one per batch, signed at its entry's time"),
        ("workspace_meta", .bound, "trial (every entry's `trial`), origin and ledger key (every checkpoint), operator key (genesis policy); created_at and created_by are informational (cache)"),
        ("objects", .bound, "every row named by an entry, a bound record or an erasure; every named blob present with its digest and size"),
        ("anchored_files", .derived, "exactly the subjects of the anchor entries"),
        ("stage_runs", .bound, "one row per stage entry and none other; every column equal to its attestation"),
        ("stage_artifacts", .bound, "exactly the attestation's artifactVersions and subjects"),
        ("rejects", .bound, "count and content digest (rejectCount, rejectDigest) of their run's attestation"),
        ("record_rows", .bound, "leaf hashes give the attested record root; content and columns hash to the leaves; lines hash to recordLines; ids from firstRecord"),
        ("record_tiles", .derived, "each run's record tree as tiles above its leaves, recomputed from them: every full tile and the right edge, none other (level-0 tiles, the leaf hashes themselves, are checked where an older build stored them)"),
        ("record_sources", .bound, "one row per file with records, in file order, named like its artifact's source, with the artifact's record count"),
        ("participant_salts", .bound, "the salts measurement leaves are hashed with (a changed or missing salt breaks them); none for an erased participant; a salt no record uses is harmless"),
        ("erasures", .derived, "exactly the participants of the signed erasure entries"),
        ("erased_objects", .derived, "exactly the blobs the signed erasure entries list"),
        ("cosignatures", .derived, "each line names its witness and a kept checkpoint; valid only against keys given with --witness"),
        ("grdb_migrations", .derived, "exactly this build's migrations"),
    ]

    /// Files of a workspace besides the database.
    public static let files: [(path: String, class: Class, rule: String)] = [
        ("objects/sha256/…", .bound, "each blob has the digest it is named by"),
        ("keys/ledger.pub, keys/operator.pub", .cache, "readable copies of workspace_meta's keys; verify uses the database's, pinned by a held checkpoint"),
        ("keys/*.key", .cache, "private keys; never read by verify"),
        ("trust-policy.json", .cache, "a readable copy of the policy in force, which the anchored trust entries define; verify derives the policy from the ledger"),
        ("reports/…", .bound, "each equal to the latest anchored version of its report (altered: fail; missing: reported)"),
    ]

    /// Views, indexes and triggers are derived from the schema version: compared with this build's.
    public static let schemaObjects = "views, indexes and triggers are derived: each must be exactly what this build's migrations create"

    /// One schema object as `sqlite_master` describes it.
    struct SchemaObject: Equatable {
        let type: String
        let table: String
        let sql: String?
    }

    /// The schema objects of a database, by name (SQLite's own internal objects left out).
    static func schema(of db: Database) throws -> [String: SchemaObject] {
        var result: [String: SchemaObject] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") {
            result[row["name"]] = SchemaObject(type: row["type"], table: row["tbl_name"], sql: row["sql"])
        }
        return result
    }

    /// The schema this build's migrations create, from an empty in-memory database.
    static func expectedSchema() throws -> [String: SchemaObject] {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        return try queue.read { try schema(of: $0) }
    }
}
