import ArgumentParser
import Attestation
import Foundation
import MerkleLog
import Workspace

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the ledger's entries.",
        discussion: """
            With --json, one JSON object per line (RFC 8785 canonical): \
            {"entry":"<base64 of the exact leaf bytes>","index":N,"leaf_hash":"<hex>"}. \
            Anyone can recompute leaf_hash = SHA-256(0x00 ‖ entry) and the tree from these lines.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "One JSON object per line.")
    var json = false

    @Option(help: ArgumentHelp("Start at this entry index.", valueName: "index"))
    var from: UInt64 = 0

    func run() throws {
        let workspace = try options.openReadOnly()
        try workspace.read { ledger in
            try ledger.forEachEntry(from: from) { entry in
                if json {
                    let line: JSONValue = [
                        "index": .integer(Int64(entry.index)),
                        "leaf_hash": .string(entry.leafHash.hex),
                        "entry": .string(Data(entry.entry).base64EncodedString()),
                    ]
                    print(CanonicalJSON.string(line))
                } else {
                    print(Terminal.escaped(LogCommand.describe(entry)))
                }
            }
        }
    }

    /// A one-line summary of an entry for people.
    static func describe(_ entry: StoredEntry) -> String {
        let prefix = "\(entry.index)  \(entry.leafHash.hex.prefix(16))…"
        guard let envelope = try? DSSEEnvelope(parsing: entry.entry), let statement = try? envelope.statement() else {
            return "\(prefix)  (not a TrialChain attestation, \(entry.entry.count) bytes)"
        }
        let kind = statement.predicateType.replacingOccurrences(of: "https://trialchain.dev/", with: "")
        var subjects = statement.subjects.prefix(3).map { "\($0.name) sha256:\($0.sha256.prefix(12))…" }.joined(separator: ", ")
        if statement.subjects.count > 3 { subjects += " (+\(statement.subjects.count - 3) more)" }
        if let count = statement.predicate["manifest"]?["subjects"]?.integerValue {
            subjects += " listing \(count) artifacts"
        }
        let signer = envelope.signatures.first?.keyid ?? "unsigned"
        if let block = statement.predicate["signature"], let meaning = block["meaning"]?.stringValue {
            let what: String
            switch statement.predicateType {
            case Workspace.signaturePredicateType:
                what = "entry \(statement.predicate["entry"]?.integerValue ?? -1) (\(statement.predicate["signedStatement"]?["kind"]?.stringValue ?? "?"))"
            case Workspace.erasurePredicateType:
                what = "erasure of \(statement.predicate["participant"]?.stringValue ?? "?") (\(statement.predicate["records"]?.integerValue ?? 0) records, \(statement.predicate["objects"]?.arrayValue?.count ?? 0) files): \(statement.predicate["reason"]?.stringValue ?? "")"
            case Workspace.anchorPredicateType:
                what = "anchor  \(subjects)"
            default:
                what = "\(statement.predicate["kind"]?.stringValue ?? kind)  \(subjects)"
            }
            return "\(prefix)  \(what)  \(meaning) by \(block["name"]?.stringValue ?? "?") (\(signer)) at \(block["signedAt"]?.stringValue ?? "?")"
        }
        let time = statement.predicate["anchoredAt"]?.stringValue ?? statement.predicate["endedAt"]?.stringValue ?? ""
        return "\(prefix)  \(kind)  \(subjects)  signed by \(signer)\(time.isEmpty ? "" : " at \(time)")"
    }
}
