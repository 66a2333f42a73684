import ArgumentParser
import Foundation
import Workspace

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace for one trial.",
        discussion: """
            Creates the directory with the SQLite database (WAL mode), the object store, and two \
            Ed25519 keys: the ledger key signs checkpoints, the operator key signs stage \
            attestations. Private keys are written with mode 0600 to keys/ and never enter the \
            database. A first checkpoint (size 0) is signed. An existing workspace is never \
            overwritten.

            Example:
              trialchain init --trial DEMO-2026-001 --origin example.org/trials/DEMO-2026-001
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(help: ArgumentHelp("The trial identifier (letters, digits, '.', '_', '-').", valueName: "id"))
    var trial: String

    @Option(help: ArgumentHelp(
        "The ledger's origin: a schema-less URL naming this trial's log.",
        discussion: "Defaults to trialchain.local/trials/<id>; use your organisation's domain.",
        valueName: "origin"))
    var origin: String?

    @Option(help: ArgumentHelp(
        "The operator's printed name, shown with every signature (21 CFR Part 11).",
        discussion: "Defaults to $TRIALCHAIN_SIGNER, else the login name. Kept in trust-policy.json.",
        valueName: "name"))
    var signerName: String?

    func run() throws {
        let workspace = try Workspace.create(at: options.root, trialID: trial, origin: origin, signerName: signerName)
        print("created workspace \(workspace.layout.root.path)")
        print("trial:        \(workspace.trialID)")
        print("origin:       \(workspace.origin)")
        print("ledger key:   \(workspace.ledgerKey)")
        print("operator key: \(workspace.operatorKey)")
        let name = try workspace.signerName(for: workspace.operatorKey)
        print("signer:       \(name) (may sign everything; see `trialchain trust show`)")
        if signerName == nil, Workspace.defaultSignerName() == "operator" {
            print("note: no name was given and neither TRIALCHAIN_SIGNER nor USER is set, so every signature reads \"operator\"; "
                  + "21 CFR Part 11 asks for the signer's printed name: create the workspace with --signer-name \"Jane Doe\" "
                  + "(or TRIALCHAIN_SIGNER) before anything is signed")
        }
        Terminal.note("Keep a copy of keys/ somewhere safe; share only the .pub files.")
    }
}
