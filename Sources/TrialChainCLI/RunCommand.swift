import ArgumentParser
import Attestation
import Foundation
import Pipeline
import Workspace

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline file: every stage in dependency order, each anchored.",
        discussion: """
            The whole file is validated before anything runs (unknown keys, unknown stage kinds, \
            cycles, inputs that match no file). Stages run in dependency order; a stage whose \
            inputs and parameters are unchanged appends nothing, so a killed run resumes with the \
            same command. The first failing stage stops the run: every stage before it stays \
            committed, nothing of it is stored. Creates the workspace from the pipeline's trial \
            and origin when there is none. Stage kinds: ingest/protocol, ingest/consents, \
            ingest/measurements, contract (one contract file, checked when the pipeline is read) \
            and report (written under <workspace>/reports/). Progress (stage n of m, rows/s) \
            shows on a terminal only.

            Corrections: a stage whose input file changed since it was last ingested needs a \
            reason (--reason TEXT here, or reason: in the stage's parameters), and a file whose \
            content a later correction superseded is refused unless --allow-revert says so.

            Example: trialchain run Pipelines/demo.yml
            """)

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("The pipeline file.", valueName: "file"))
    var file: String

    @Flag(help: "Print a JSON summary.")
    var json = false

    @Option(help: ArgumentHelp("Why the input files that changed since they were last ingested are corrected versions (recorded in their stages' attestations; overrides the pipeline's reason:).", valueName: "text"))
    var reason: String?

    @Flag(name: .customLong("allow-revert"), help: "Let a file whose content a later correction superseded become the newest version again (a deliberate revert; needs --reason).")
    var allowRevert = false

    func run() throws {
        let pipeline = try PipelineFile(url: URL(fileURLWithPath: file), displayName: file)
        let workspace = try PipelineRunner.workspace(at: options.root, for: pipeline)
        let started = Date()
        if allowRevert && reason == nil { throw UsageError("--allow-revert needs --reason TEXT: say why the superseded content becomes current again") }
        let results = try PipelineRunner(pipeline: pipeline, workspace: workspace, reason: reason, allowRevert: allowRevert).run(
            onStage: { position, total, stage in
                Terminal.progress("stage \(position) of \(total): \(stage.name) (\(stage.kind))…")
            },
            onRows: { rows, file in
                let rate = Double(rows) / max(Date().timeIntervalSince(started), 0.001)
                Terminal.progress("measurements: \(rows) rows (\(Int(rate)) rows/s), \(file)…")
            })
        Terminal.endProgress()
        let size = try workspace.read { try $0.size() }
        if json {
            print(CanonicalJSON.string([
                "pipeline": .string(pipeline.name), "trial": .string(pipeline.trial), "ledger_size": .integer(Int64(size)),
                "workspace": .string(workspace.layout.root.path),
                "stages": .array(results.map { result in
                    var summary: [String: JSONValue] = ["name": .string(result.name), "kind": .string(result.kind)]
                    switch result.outcome {
                    case let .unchanged(entry):
                        summary["status"] = "unchanged"
                        summary["entry"] = .integer(Int64(entry))
                    case let .committed(receipt):
                        summary["status"] = "committed"
                        summary["entry"] = .integer(Int64(receipt.entryIndex))
                        summary["run"] = .integer(receipt.runID)
                        summary["records"] = .integer(Int64(receipt.recordCount))
                        summary["rejects"] = .integer(Int64(receipt.rejectCount))
                        summary["artifacts"] = .array(receipt.artifacts.map { ["name": .string($0.name), "version": .integer(Int64($0.version)), "sha256": .string($0.sha256)] })
                    }
                    if !result.files.isEmpty { summary["files"] = .array(result.files.map(JSONValue.string)) }
                    return .object(summary)
                }),
            ]))
            return
        }
        print("pipeline \(pipeline.name) (trial \(pipeline.trial)) in \(workspace.layout.root.path)")
        if try workspace.signerName(for: workspace.operatorKey) == "operator" {
            print("note: signatures read \"operator\": set TRIALCHAIN_SIGNER (or USER) before the run that creates a workspace, or create it with `trialchain init --signer-name NAME`")
        }
        for (offset, result) in results.enumerated() {
            let position = "\(offset + 1)/\(results.count)"
            switch result.outcome {
            case let .unchanged(entry):
                print("  \(position) \(result.name): unchanged (ledger entry \(entry))")
            case let .committed(receipt) where result.kind.hasPrefix("ingest/"):
                print("  \(position) \(result.name): \(receipt.recordCount) records, \(receipt.rejectCount) rejected (stage run \(receipt.runID), ledger entry \(receipt.entryIndex))")
            case let .committed(receipt):
                let outputs = receipt.artifacts.map { "\($0.name) v\($0.version)" }
                print("  \(position) \(result.name): \(outputs.isEmpty ? "outputs identical to the latest versions" : outputs.joined(separator: ", ")) (ledger entry \(receipt.entryIndex))")
            }
        }
        let reports = results.flatMap(\.files)
        if !reports.isEmpty {
            let here = FileManager.default.currentDirectoryPath + "/"
            print("reports:")
            for path in reports { print("  " + (path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path)) }
        }
        print("ledger size \(size); see rejected rows with `trialchain rejects`, check everything with `trialchain verify`")
    }
}
