import ArgumentParser
import Workspace

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Show the workspace's public keys.",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a key's signed-note verifier key (name+keyid+base64).",
            discussion: """
                `ledger` verifies checkpoints; `operator` verifies attestations. The format is \
                the one golang.org/x/mod/sumdb/note and C2SP tools read.
                """)

        @OptionGroup var options: WorkspaceOptions

        @Argument(help: ArgumentHelp("ledger or operator", valueName: "role"))
        var role: Role

        enum Role: String, ExpressibleByArgument, CaseIterable {
            case ledger, `operator`
        }

        func run() throws {
            let workspace = try options.open()
            print(workspace.verifierKey(role == .ledger ? .ledger : .operator).description)
        }
    }
}
