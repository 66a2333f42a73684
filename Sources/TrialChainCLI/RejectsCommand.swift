import ArgumentParser
import Attestation
import Workspace

struct RejectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejects",
        abstract: "List what ingest rejected: file, line, field and reason.",
        discussion: """
            Rejected rows are kept, never silently dropped. Fix them at the source and ingest the \
            corrected file (with --reason if it replaces an ingested one). Rejects with the same \
            file, field and reason are shown once with their count and lines (--each: one line \
            per reject). --json prints one object per reject and line: \
            {"field":…,"file":…,"line":…,"raw":…,"reason":…,"run":…,"stage":…}.

            Example: trialchain rejects --run 3
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("Only the rejects of this stage run (the run number `ingest` and `run` print).", valueName: "run"))
    var runID: Int64?

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "One line per reject instead of grouping repeated reasons.")
    var each = false

    @Flag(help: "List instead the values accepted but flagged by a soft range check (of the current measurement files, or of --run).")
    var flagged = false

    func run() throws {
        let workspace = try options.openReadOnly()
        if let runID, try !workspace.stageRunExists(runID) {
            throw UsageError("there is no stage run \(runID): `ingest` and `run` print the run number of each stage they commit (see `trialchain log`)")
        }
        if flagged {
            try listFlagged(workspace)
            return
        }
        let rows = try workspace.rejects(runID: runID)
        if json {
            for (runID, stage, reject) in rows {
                print(CanonicalJSON.string([
                    "run": .integer(runID), "stage": .string(stage), "file": .string(reject.file),
                    "line": reject.line.map { .integer(Int64($0)) } ?? .null, "field": .string(reject.field),
                    "reason": .string(reject.reason), "raw": reject.raw.map(JSONValue.string) ?? .null,
                ]))
            }
        } else if each {
            for (runID, stage, reject) in rows { print(Terminal.escaped("run \(runID) \(stage)  \(reject)")) }
        } else {
            for group in RejectsCommand.grouped(rows) { print(Terminal.escaped(group)) }
        }
        if rows.isEmpty && !json { Terminal.note("no rejects") }
    }

    /// Accepted values a soft range check flagged, as their measurement artifacts record them.
    func listFlagged(_ workspace: Workspace) throws {
        let versions = try runID.map { try workspace.artifactVersions(ofRun: $0) } ?? workspace.latestArtifacts(prefix: "measurements/")
        var count = 0
        for version in versions where version.name.hasPrefix("measurements/") {
            guard let bytes = try workspace.readableArtifactBytes(version), let artifact = try? JSONValue.parse(bytes) else { continue }
            let file = artifact["source"]?["name"]?.stringValue ?? version.name
            for flag in artifact["flagged"]?.arrayValue ?? [] {
                count += 1
                let line = flag["line"]?.integerValue ?? 0, field = flag["field"]?.stringValue ?? "", reason = flag["reason"]?.stringValue ?? ""
                if json {
                    print(CanonicalJSON.string(["file": .string(file), "line": .integer(line), "field": .string(field), "reason": .string(reason),
                                                "artifact": .string("\(version.name)@v\(version.version)")]))
                } else {
                    print(Terminal.escaped("\(file):\(line): \(field): \(reason)"))
                }
            }
        }
        if count == 0 && !json { Terminal.note("no flagged values") }
    }

    /// Rejects with the same run, file, field and reason as one line, in the order first seen:
    /// `run 3 measurements  site-102.csv: participant: … — 98 rows, lines 12, 13, …`.
    static func grouped(_ rows: [(runID: Int64, stage: String, reject: StageReject)]) -> [String] {
        struct Key: Hashable { let run: Int64, file: String, field: String, reason: String }
        var order: [Key] = []
        var groups: [Key: (stage: String, lines: [Int])] = [:]
        for (runID, stage, reject) in rows {
            let key = Key(run: runID, file: reject.file, field: reject.field, reason: reject.reason)
            if groups[key] == nil { order.append(key); groups[key] = (stage, []) }
            if let line = reject.line { groups[key]!.lines.append(line) }
            else { groups[key]!.lines.append(0) }
        }
        return order.map { key in
            let (stage, lines) = groups[key]!
            let numbered = lines.filter { $0 > 0 }
            let shown = numbered.prefix(10).map(String.init).joined(separator: ", ") + (numbered.count > 10 ? ", …" : "")
            if lines.count == 1 {
                return "run \(key.run) \(stage)  \(key.file)\(numbered.first.map { ":\($0)" } ?? ""): \(key.field): \(key.reason)"
            }
            return "run \(key.run) \(stage)  \(key.file): \(key.field): \(key.reason) — \(lines.count) rows" + (numbered.isEmpty ? "" : ", lines \(shown)")
        }
    }
}
