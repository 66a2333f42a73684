import ArgumentParser
import Foundation

/// `trialchain install`: copies this very binary onto the PATH, with the resource bundles beside it
/// (the ODM schema, the explorer's files), so that one command builds a release binary and installs
/// it: `swift run -c release trialchain install`.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install this trialchain binary as PREFIX/bin/trialchain.",
        discussion: """
            Build and install in one step from a clone:
              swift run -c release trialchain install                  (root: /usr/local/bin)
              swift run -c release trialchain install --prefix ~/.local  (your own bin folder)
            or, with the Swift runtime linked in:
              swift build -c release --static-swift-stdlib --product trialchain
              .build/release/trialchain install
            The resource bundles beside the binary (the ODM 1.3.2 schema, the explorer's files) \
            are copied next to it, so the installed binary does not need the build folder. With \
            --static-swift-stdlib it needs no Swift runtime either, only libsqlite3, libxml2 and \
            libcsv, and it starts faster. Each file is copied to a temporary name \
            and renamed into place, so a running trialchain is never half-overwritten. Says so \
            when the folder is not on your PATH.
            """)

    @Option(help: ArgumentHelp("Where to install: the binary goes to PREFIX/bin (default: /usr/local as root, else ~/.local).", valueName: "dir"))
    var prefix: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].map { $0 + "/.local" } ?? "/usr/local"
        let root = prefix.map { ($0 as NSString).expandingTildeInPath } ?? (getuid() == 0 ? "/usr/local" : home)
        let folder = URL(fileURLWithPath: root).appendingPathComponent("bin")
        let source = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard let binary = FileManager.default.contents(atPath: source.path) ?? FileManager.default.contents(atPath: CommandLine.arguments[0]) else {
            throw UsageError("cannot read this trialchain binary to copy it")
        }
        let target = folder.appendingPathComponent("trialchain")
        let temporary = folder.appendingPathComponent(".trialchain.install-\(getpid())")
        // SwiftPM's resource bundles: found beside the running binary first.
        let bundles = ((try? FileManager.default.contentsOfDirectory(atPath: source.deletingLastPathComponent().path)) ?? [])
            .filter { $0.hasSuffix(".resources") }.sorted()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for bundle in bundles {
                let from = source.deletingLastPathComponent().appendingPathComponent(bundle)
                let staged = folder.appendingPathComponent(".\(bundle).install-\(getpid())")
                let old = folder.appendingPathComponent(".\(bundle).old-\(getpid())")
                let into = folder.appendingPathComponent(bundle)
                try? FileManager.default.removeItem(at: staged)
                try FileManager.default.copyItem(at: from, to: staged)
                if FileManager.default.fileExists(atPath: into.path) { try FileManager.default.moveItem(at: into, to: old) }
                try FileManager.default.moveItem(at: staged, to: into)
                try? FileManager.default.removeItem(at: old)
            }
            try binary.write(to: temporary)
            guard chmod(temporary.path, 0o755) == 0, rename(temporary.path, target.path) == 0 else {
                throw UsageError("cannot put the binary at \(target.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as UsageError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw UsageError("cannot install into \(folder.path): \(error.localizedDescription) (choose another --prefix)")
        }
        print("installed trialchain \(TrialChainCommand.configuration.version) to \(target.path)"
              + (bundles.isEmpty ? "" : ", with \(bundles.joined(separator: ", ")) beside it"))
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if !path.contains(folder.path) {
            print("note: \(folder.path) is not on your PATH; add it, e.g. export PATH=\"\(folder.path):$PATH\"")
        }
    }
}
