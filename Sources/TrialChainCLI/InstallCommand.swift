import ArgumentParser
import Foundation

/// `trialchain install`: copies this very binary onto the PATH, so that one command builds a
/// release binary and installs it: `swift run -c release trialchain install`.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install this trialchain binary as PREFIX/bin/trialchain.",
        discussion: """
            Build and install in one step from a clone:
              swift run -c release trialchain install                 (root: /usr/local/bin)
              swift run -c release trialchain install --prefix ~/.local  (your own bin folder)
            The binary is copied to a temporary name and renamed into place, so a running \
            trialchain is never half-overwritten. Says so when the folder is not on your PATH.
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
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
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
        print("installed trialchain \(TrialChainCommand.configuration.version) to \(target.path)")
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if !path.contains(folder.path) {
            print("note: \(folder.path) is not on your PATH; add it, e.g. export PATH=\"\(folder.path):$PATH\"")
        }
    }
}
