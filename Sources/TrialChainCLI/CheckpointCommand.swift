import ArgumentParser
import Workspace

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the latest signed checkpoint, or the one of a given size.",
        discussion: """
            Prints exactly the C2SP signed note (tlog-checkpoint body, blank line, signature \
            line): keep it somewhere outside the workspace, or give it to a witness, and later \
            `trialchain verify --checkpoint FILE` proves the ledger still extends it.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(help: ArgumentHelp("The tree size of a stored checkpoint.", valueName: "n"))
    var size: UInt64?

    @Flag(help: "Append the witnesses' cosignatures kept for it.")
    var cosigned = false

    func run() throws {
        let workspace = try options.openReadOnly()
        if cosigned {
            print(try workspace.cosignedCheckpoint(size: size), terminator: "")
            return
        }
        let checkpoint = try workspace.read { try $0.checkpoint(size: size) }
        print(checkpoint.note, terminator: "")
    }
}
