import ArgumentParser
import Contracts
import Ingest
import Foundation
import Workspace

struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Check a milestone contract, or run it as an anchored stage.",
        discussion: """
            A contract (Pipelines/contracts/*.yml, the language is in the README) is checked \
            against the contract language, then against the latest protocol (every visit and item \
            it names must exist) before anything is evaluated. A run evaluates it over the current \
            anchored records and commits its output (payouts/<name> or adherence/<name>) with an \
            attestation naming the contract's digest and every input's digest. Running it again \
            on the same inputs appends nothing.

            Examples:
              trialchain contract check Pipelines/contracts/participant-payments.yml
              trialchain contract run Pipelines/contracts/participant-payments.yml
            """,
        subcommands: [Check.self, Run.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a contract (and, when a protocol was ingested, check it against it).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The contract file.", valueName: "file")) var file: String

        func run() throws {
            let contract = try ContractFile(url: URL(fileURLWithPath: file), displayName: file)
            var against = ""
            if FileManager.default.fileExists(atPath: WorkspaceLayout(root: options.root).database.path) {
                let workspace = try options.open()
                if let (model, version) = try? Ingestor(workspace: workspace).currentProtocol() {
                    try contract.check(against: model)
                    against = " and matches protocol \(model.studyOID) (protocol v\(version.version))"
                }
            }
            print("\(file): contract \(contract.name) version \(contract.version) (\(contract.type)) is valid\(against); sha256 \(contract.sha256)")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Evaluate a contract over the anchored records and anchor its output.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The contract file.", valueName: "file")) var file: String

        func run() throws {
            let contract = try ContractFile(url: URL(fileURLWithPath: file), displayName: file)
            let workspace = try options.open()
            switch try ContractRunner(workspace: workspace).run(contract) {
            case let .unchanged(entry):
                print("\(contract.artifactName): unchanged (same contract and inputs as ledger entry \(entry)); nothing appended")
            case let .committed(receipt):
                let outputs = receipt.artifacts.map { "\($0.name) v\($0.version) sha256 \($0.sha256)" }
                print("\(contract.artifactName): \(outputs.isEmpty ? "output identical to the latest version" : outputs.joined(separator: ", ")); ledger entry \(receipt.entryIndex), size \(receipt.ledgerSize)")
            }
        }
    }
}
