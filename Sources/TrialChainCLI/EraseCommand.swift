import ArgumentParser
import Workspace

struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a participant (GDPR Art. 17) while every tree and proof stays verifiable.",
        discussion: """
            Destroys the participant's salt, blanks the content of every record of theirs (the \
            leaf hashes stay, so record trees, attestations and other participants' proofs \
            still verify), destroys their signed documents, and replaces every stored file that \
            mentions them (source files, contract outputs, reports) with a redacted copy. A \
            signed erasure entry lists what was destroyed and what replaces it. `verify` then \
            passes and reports the erasure. This cannot be undone.

            Example:
              trialchain erase --participant P-0009 --reason "request of 2026-11-20, ticket 4411"
            """)

    @OptionGroup var options: WorkspaceOptions
    @Option(help: ArgumentHelp("The participant to erase.", valueName: "id")) var participant: String
    @Option(help: ArgumentHelp("Why (recorded in the ledger).", valueName: "text")) var reason: String

    func run() throws {
        let workspace = try options.open()
        let receipt = try workspace.erase(participant: participant, reason: reason)
        print("erased \(participant): \(receipt.records) records blanked, \(receipt.destroyed) files destroyed, \(receipt.redacted) files redacted; erasure entry \(receipt.entryIndex)")
    }
}
