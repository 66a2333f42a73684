import ArgumentParser
import Foundation
import Workspace

/// `--workspace DIR`, shared by every command.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The workspace directory.",
        discussion: "Defaults to $TRIALCHAIN_WORKSPACE, else .trialchain in the current directory.",
        valueName: "dir"))
    var workspace: String?

    var root: URL {
        workspace.map { URL(fileURLWithPath: $0) } ?? WorkspaceLayout.defaultRoot()
    }

    func open() throws -> Workspace {
        try Workspace.open(at: root)
    }

    /// Opens the workspace read-only: the command changes no byte of it, works on a read-only
    /// copy, and never waits on or blocks another reader.
    func openReadOnly() throws -> Workspace {
        try Workspace.open(at: root, readOnly: true)
    }
}
