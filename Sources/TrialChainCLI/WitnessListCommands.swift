import ArgumentParser
import Foundation
import Witnessing
import Workspace

extension WitnessCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add",
            abstract: "Send this log's checkpoints to a witness (anchored as a new version of witnesses.json).",
            discussion: """
                The witness's operator gives you its URL prefix and its cosignature verifier key; \
                give them the ledger key (`trialchain keys show ledger`) for their --log. The latest \
                checkpoint is sent at once, and every new one after each command that writes the \
                ledger; the cosignatures are kept with the checkpoints (`trialchain checkpoint --cosigned`).

                Example: trialchain witness add http://127.0.0.1:8081 witness.example.org+1a2b3c4d+BAA…
                """)
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The witness's URL prefix (requests go to <url>/add-checkpoint).", valueName: "url")) var url: String
        @Argument(help: ArgumentHelp("The witness's tlog-cosignature/v1 verifier key, or a file holding it.", valueName: "vkey")) var key: String

        func run() throws {
            try options.open().addWitness(url: url, key: try WitnessCommand.verifierKey(key, option: "vkey"))
            print("witness \(url) added; the checkpoint is sent to it now and after every command that writes the ledger")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove",
            abstract: "Stop sending checkpoints to a witness (anchored; its cosignatures kept so far stay).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The witness's name (its key's name).", valueName: "name")) var name: String

        func run() throws {
            try options.open().removeWitness(name: name)
            print("witness \(name) removed")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The witnesses this log sends its checkpoints to, and the size each last cosigned.")
        @OptionGroup var options: WorkspaceOptions

        func run() throws {
            let workspace = try options.openReadOnly()
            let witnesses = try workspace.witnesses()
            if witnesses.isEmpty { print("no witnesses (add one with `trialchain witness add URL VKEY`)"); return }
            let size = try workspace.read { try $0.checkpoint() }.size
            for witness in witnesses {
                let last = try workspace.lastCosignedSize(by: witness.key)
                print("\(witness.key.name)  \(witness.url)  " + (last.map { "cosigned size \($0)" + ($0 == size ? " (latest)" : " (latest is \(size))") } ?? "never cosigned"))
                print("  \(witness.key.description)")
            }
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "push",
            abstract: "Send the latest checkpoint to every configured witness now, and keep their cosignatures.",
            discussion: """
                Runs after every command that writes the ledger; run it by hand to retry a witness \
                that was down. Exit 0 when every witness cosigned the latest checkpoint, 1 when a \
                witness refused because it saw another history of this log (a fork or a rollback), \
                2 when a witness was unreachable or refused for another reason.
                """)
        @OptionGroup var options: WorkspaceOptions

        func run() async throws {
            let outcomes = try await WitnessPush.push(options, quietWhenNone: false)
            if outcomes.contains(where: { if case .refusedFork = $0 { return true }; return false }) { throw ExitCode(1) }
            if outcomes.contains(where: { if case .cosigned = $0 { return false }; if case .alreadyCosigned = $0 { return false }; return true }) { throw ExitCode(2) }
        }
    }
}

/// A command that writes the ledger: after it succeeds, the new checkpoint goes to the witnesses.
protocol WritesLedger {
    var options: WorkspaceOptions { get }
}

extension AnchorCommand: WritesLedger {}
extension ContractCommand.Run: WritesLedger {}
extension EraseCommand: WritesLedger {}
extension IngestCommand.ProtocolStage: WritesLedger {}
extension IngestCommand.ConsentsStage: WritesLedger {}
extension IngestCommand.MeasurementsStage: WritesLedger {}
extension InitCommand: WritesLedger {}
extension ReportCommand: WritesLedger {}
extension RunCommand: WritesLedger {}
extension TokenCommand.Create: WritesLedger {}
extension TokenCommand.Revoke: WritesLedger {}
extension TrustCommand.Add: WritesLedger {}
extension TrustCommand.RequireSubmissions: WritesLedger {}
extension SignCommand: WritesLedger {}
extension WitnessCommand.Add: WritesLedger {}
extension WitnessCommand.Remove: WritesLedger {}

/// Sends the latest checkpoint to the configured witnesses and says what each did.
enum WitnessPush {
    /// - returns: each witness's outcome (none when no witness is configured or there is no workspace).
    @discardableResult
    static func push(_ options: WorkspaceOptions, quietWhenNone: Bool) async throws -> [WitnessOutcome] {
        guard FileManager.default.fileExists(atPath: WorkspaceLayout(root: options.root).database.path) else { return [] }
        let workspace = try options.open()
        let results = try await CosignatureCollector(workspace: workspace).collect()
        if results.isEmpty {
            if !quietWhenNone { Terminal.status("no witnesses configured (add one with `trialchain witness add URL VKEY`)") }
            return []
        }
        for (witness, outcome) in results {
            switch outcome {
            case let .cosigned(size): Terminal.status("witness \(witness.key.name): cosigned size \(size)")
            case let .alreadyCosigned(size): if !quietWhenNone { Terminal.status("witness \(witness.key.name): had already cosigned size \(size)") }
            case let .unreachable(why): Terminal.warning("witness \(witness.key.name) unreachable: \(why); `trialchain witness push` retries")
            case let .refusedFork(why): Terminal.error("witness \(witness.key.name) REFUSED this log's checkpoint: \(why)")
            case let .refused(why): Terminal.warning("witness \(witness.key.name) did not cosign: \(why)")
            }
        }
        return results.map(\.outcome)
    }
}
