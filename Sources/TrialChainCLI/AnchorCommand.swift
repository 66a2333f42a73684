import ArgumentParser
import Foundation
import Workspace

struct AnchorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anchor",
        abstract: "Anchor files in the ledger, one signed entry per file, in one batch.",
        discussion: """
            Each file's bytes go to the object store; its entry is an in-toto Statement v1 \
            (predicate https://trialchain.dev/anchor/v1, subject = the path as given and its \
            SHA-256) in a DSSE envelope signed by the operator key. All files form one batch with \
            one new signed checkpoint: if any file cannot be read, nothing is anchored. A \
            directory stands for every file below it, in sorted path order (hidden files skipped).

            Output: one line per file, `<index> <sha256> <name>`.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("The files (or directories) to anchor.", valueName: "path"))
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file to anchor") }
    }

    func run() throws {
        let workspace = try options.open()
        let inputs = AnchorCommand.expand(files).map { path -> (url: URL, name: String) in
            var name = path
            while name.hasPrefix("./") { name.removeFirst(2) }
            return (URL(fileURLWithPath: path), name)
        }
        let (receipts, batch) = try workspace.anchor(inputs)
        for receipt in receipts {
            print("\(receipt.index) \(receipt.sha256) \(receipt.name)")
        }
        Terminal.note("anchored \(receipts.count) file(s); the ledger now has \(batch.size) entries (checkpoint signed)")
    }
}

extension AnchorCommand {
    /// Paths as given, with each directory replaced by the files below it in sorted order.
    static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
            let below = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            return below.filter { relative in
                !relative.split(separator: "/").contains { $0.hasPrefix(".") }
                    && !isDirectoryPath(base + "/" + relative)
            }.sorted().map { base + "/" + $0 }
        }
    }

    private static func isDirectoryPath(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
