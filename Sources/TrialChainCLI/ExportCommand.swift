import ArgumentParser
import Audit
import Foundation
import Workspace

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a portable bundle of the workspace for an auditor.",
        discussion: """
            One ZIP file: bundle.json (every file with its SHA-256), a snapshot of the database \
            taken through SQLite's backup API (the workspace stays usable), every blob of the \
            object store, the public keys, the trust policy and the latest checkpoint. No \
            private key. Check it anywhere with `trialchain verify --bundle FILE`, offline, \
            ideally with --checkpoint and a checkpoint obtained separately.

            Example:
              trialchain export --bundle DEMO-2026-001.trialchain.zip
            """)

    @OptionGroup var options: WorkspaceOptions
    @Option(help: ArgumentHelp("The bundle file to write.", valueName: "file")) var bundle: String

    func run() throws {
        let workspace = try options.openReadOnly()
        let summary = try TrialBundle.export(workspace, to: URL(fileURLWithPath: bundle))
        print("\(bundle): \(summary.files) files (\(summary.bytes) bytes before compression), ledger size \(summary.ledgerSize)")
    }
}
