import ArgumentParser
import Foundation
import Workspace

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Write the ledger in the C2SP tlog-tiles layout, for any static web server.",
        discussion: """
            Writes DIR/tile/<L>/<N>[.p/<W>] (the Merkle tree's tiles: hashes are public), with \
            --entries also DIR/tile/entries/<N>[.p/<W>] (the entries: they name pseudonymous \
            participants, so publish them only where access is controlled), and DIR/checkpoint \
            (the latest signed checkpoint with its cosignatures) last, so that a client reading \
            it finds every tile it needs. Incremental: full tiles already published are checked \
            and never rewritten; every file is written to a temporary name and renamed.

            Example: trialchain publish /srv/www/trials/DEMO-2026-001
            """)

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("The folder to publish into.", valueName: "dir"))
    var folder: String

    @Flag(help: "Also publish the entry bundles (they reveal pseudonymous participant ids).")
    var entries = false

    func run() throws {
        let workspace = try options.openReadOnly()
        let report = try workspace.publish(to: URL(fileURLWithPath: folder), entries: entries)
        print("published size \(report.size) to \(folder): \(plural(report.tilesWritten, "tile")) written, \(report.tilesKept) already there"
              + (entries ? ", \(plural(report.bundlesWritten, "entry bundle")) written" : ""))
    }
}

/// "1 tile", "3 tiles".
private func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
