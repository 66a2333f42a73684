import ArgumentParser
import Foundation
import Workspace

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the bearer tokens `trialchain serve` accepts.",
        discussion: """
            A token is shown once, when it is created; the workspace keeps only its SHA-256, in a \
            token list anchored in the ledger (every change is a new anchored version). Roles: \
            monitor (reads entries), auditor (reads everything), site:<id> (a site's submissions \
            and rejects, when those are served).

            Example:
              trialchain token create --name "CRO monitor" --role monitor > monitor.token
              curl -H "Authorization: Bearer $(cat monitor.token)" http://127.0.0.1:8080/tile/entries/000.p/6
              trialchain token revoke "CRO monitor"
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token and print it (only this once).")
        @OptionGroup var options: WorkspaceOptions
        @Option(help: "A name for the token's holder, unique among tokens in force.") var name: String
        @Option(help: ArgumentHelp("monitor, auditor or site:<id>.", valueName: "role")) var role: String

        func run() throws {
            guard let parsed = AccessRole(role) else {
                throw UsageError("--role \(Terminal.escaped(role)): expected monitor, auditor or site:<id> (letters, digits, - _ .)")
            }
            let token = try options.open().createAccessToken(name: name, role: parsed)
            print(token)
            Terminal.note("token \"\(Terminal.escaped(name))\" (\(parsed)) created and anchored; it is shown only now")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens in force (names and roles; never the tokens).")
        @OptionGroup var options: WorkspaceOptions

        func run() throws {
            let tokens = try options.openReadOnly().accessTokens()
            if tokens.isEmpty { print("no tokens in force") }
            for token in tokens {
                print("\(Terminal.escaped(token.name))\t\(token.role)\tcreated \(token.created)\tsha256 \(token.sha256.prefix(12))…")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by name (anchored; the server refuses it from its next request).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            try options.open().revokeAccessToken(name: name)
            print("revoked \"\(Terminal.escaped(name))\"")
        }
    }
}
