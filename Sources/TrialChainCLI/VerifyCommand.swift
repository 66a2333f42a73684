import ArgumentParser
import Attestation
import Foundation
import Workspace

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the ledger from its entries and check everything stored against it.",
        discussion: """
            Checks, in order: every entry's leaf hash and attestation signature (operator key); \
            every stored tile against the recomputed tree; every checkpoint's signature (ledger \
            key), origin and root; consistency between consecutive checkpoints; every stage run's \
            records against its attested record tree and its artifacts against their digests; and, with \
            --checkpoint FILE, that the ledger extends a checkpoint kept elsewhere. Stops at the \
            first failure, names it (entry, tile or checkpoint) and exits 1.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(help: ArgumentHelp("A signed checkpoint kept outside the workspace.", valueName: "file"))
    var checkpoint: String?

    @Flag(help: "Print a JSON report.")
    var json = false

    func run() throws {
        var external: String?
        if let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint) else {
                throw UsageError("cannot read checkpoint file \(checkpoint)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw IntegrityFailure.externalCheckpoint(reason: "\(checkpoint) is not UTF-8 text")
            }
            external = text
        }
        let workspace = try options.open()
        let started = Date()
        let report: LedgerReport
        do {
            report = try workspace.verifyLedger(external: external) { done in
                Terminal.progress("verifying: \(done) entries…")
            }
            Terminal.endProgress()
        } catch let failure as IntegrityFailure {
            Terminal.endProgress()
            if json {
                print(CanonicalJSON.string(["ok": false, "failure": .string(failure.description)]))
            }
            throw failure
        }
        if json {
            var object: [String: JSONValue] = [
                "ok": true, "entries": .integer(Int64(report.entries)), "checkpoints": .integer(Int64(report.checkpoints)),
                "tiles": .integer(Int64(report.tiles)), "attestations": .integer(Int64(report.attestations)),
                "root": .string(report.root.hex), "origin": .string(workspace.origin),
                "stage_runs": .integer(Int64(report.stages.runs)), "records": .integer(Int64(report.stages.records)),
                "artifacts": .integer(Int64(report.stages.artifacts)),
            ]
            if let size = report.externalCheckpointSize { object["external_checkpoint_size"] = .integer(Int64(size)) }
            print(CanonicalJSON.string(.object(object)))
            return
        }
        print("ledger \(workspace.origin)")
        print("  ✓ \(report.entries) entries: leaf hashes recomputed, \(report.attestations) attestation signatures valid")
        print("  ✓ \(report.tiles) stored tiles match the recomputed tree")
        print("  ✓ \(report.checkpoints) checkpoints: signatures valid, roots match, each consistent with the next")
        if report.stages.runs > 0 {
            print("  ✓ \(report.stages.runs) stage runs: \(report.stages.records) records hash to their attested record trees, \(report.stages.artifacts) artifacts match their digests")
        }
        if let size = report.externalCheckpointSize {
            print("  ✓ the ledger extends the checkpoint you hold (size \(size))")
        }
        print("root \(report.root.hex)")
        Terminal.note(String(format: "verified in %.2f s", Date().timeIntervalSince(started)))
    }
}
