import ArgumentParser
import Attestation
import Workspace

struct RejectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejects",
        abstract: "List what ingest rejected: file, line, field and reason.",
        discussion: """
            Rejected rows are kept, never silently dropped. Fix them at the source and ingest the \
            corrected file (with --reason if it replaces an ingested one). --json prints one object \
            per line: {"field":…,"file":…,"line":…,"raw":…,"reason":…,"run":…,"stage":…}.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("Only the rejects of this stage run (the run number `ingest` and `run` print).", valueName: "run"))
    var runID: Int64?

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() throws {
        let workspace = try options.openReadOnly()
        if let runID, try !workspace.stageRunExists(runID) {
            throw UsageError("there is no stage run \(runID): `ingest` and `run` print the run number of each stage they commit (see `trialchain log`)")
        }
        let rows = try workspace.rejects(runID: runID)
        for (runID, stage, reject) in rows {
            if json {
                print(CanonicalJSON.string([
                    "run": .integer(runID), "stage": .string(stage), "file": .string(reject.file),
                    "line": reject.line.map { .integer(Int64($0)) } ?? .null, "field": .string(reject.field),
                    "reason": .string(reject.reason), "raw": reject.raw.map(JSONValue.string) ?? .null,
                ]))
            } else {
                print(Terminal.escaped("run \(runID) \(stage)  \(reject)"))
            }
        }
        if rows.isEmpty && !json { Terminal.note("no rejects") }
    }
}
