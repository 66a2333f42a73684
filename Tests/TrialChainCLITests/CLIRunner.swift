import Foundation

/// Runs the real `trialchain` binary that `swift test` built beside the tests.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Immutable after init (a folder and a binary path), so it is shared across threads as is.
final class CLISandbox: @unchecked Sendable {
    let directory: URL
    var workspace: URL { directory.appendingPathComponent("ws") }

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static var binary: URL {
        Bundle.main.bundleURL.appendingPathComponent("trialchain")
    }

    @discardableResult
    func run(_ arguments: [String], workspace: URL? = nil, withWorkspace: Bool = true) throws -> CLIResult {
        let process = Process()
        process.executableURL = CLISandbox.binary
        process.arguments = arguments + (withWorkspace ? ["--workspace", (workspace ?? self.workspace).path] : [])
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = "1795000000"
        environment["TRIALCHAIN_SIGNER"] = "Test Operator"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Copies the repository's Pipelines and SampleData in, as a clone has them.
    func copySampleTrial() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for folder in ["Pipelines", "SampleData"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent(folder), to: directory.appendingPathComponent(folder))
        }
    }

    /// Starts the binary and kills it (SIGKILL) after `delay` seconds, if it is still running.
    /// - returns: whether it was killed (false: it had finished).
    func runAndKill(_ arguments: [String], after delay: TimeInterval) throws -> Bool {
        let process = Process()
        process.executableURL = CLISandbox.binary
        process.arguments = arguments + ["--workspace", workspace.path]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["TRIALCHAIN_SIGNER"] = "Test Operator"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(delay)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return killed
    }

    /// Starts a server (`serve`, `witness serve`) and waits until it says it listens.
    /// - returns: the process and what it said on standard error until then.
    func startServer(_ arguments: [String], withWorkspace: Bool = true) throws -> (Process, String) {
        let process = Process()
        process.executableURL = CLISandbox.binary
        process.arguments = arguments + (withWorkspace ? ["--workspace", workspace.path] : [])
        process.currentDirectoryURL = directory
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("(Ctrl-C stops)") {
            seen.append(err.fileHandleForReading.availableData)
        }
        return (process, String(decoding: seen, as: UTF8.self))
    }

    @discardableResult
    func file(_ name: String, _ contents: String) -> URL {
        let url = directory.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(contents.utf8).write(to: url)
        return url
    }
}
