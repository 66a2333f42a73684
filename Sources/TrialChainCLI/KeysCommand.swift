import ArgumentParser
import Foundation
import SignedNote
import Workspace

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Show the workspace's public keys, or make a key for a reviewer or witness.",
        subcommands: [Show.self, Generate.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show",
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

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "generate",
            abstract: "Make a new Ed25519 key (a reviewer's, an approver's, a witness's).",
            discussion: """
                Writes the private key (Go note format, mode 0600) to --out, refusing to \
                overwrite, and prints its verifier key, which goes into a trust policy \
                (`trialchain trust add`) or to whoever checks cosignatures.

                Example:
                  trialchain keys generate --name reviewer.lee --out ~/keys/lee.key
                  trialchain keys generate --name witness.example.org --witness --out witness.key
                """)

        @Option(help: ArgumentHelp("The key's name (no spaces or '+').", valueName: "name")) var name: String
        @Option(help: ArgumentHelp("The private key file to write.", valueName: "file")) var out: String
        @Flag(help: "A witness key: its verifier key is of the C2SP tlog-cosignature/v1 type.") var witness = false

        func run() throws {
            guard NoteKeyID.isValidName(name) else { throw UsageError("--name \(name): a key name has no spaces or '+'") }
            let signer = try NoteSigner.generate(name: name, type: witness ? .cosignatureV1 : .ed25519)
            guard !FileManager.default.fileExists(atPath: out) else { throw UsageError("\(out) exists; a key file is never overwritten") }
            guard FileManager.default.createFile(atPath: out, contents: Data((signer.privateKeyText + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw UsageError("cannot write \(out)")
            }
            print(signer.verifierKey.description)
        }
    }
}
