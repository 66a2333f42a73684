import Crypto
import Foundation
import Testing

/// Issue 12: read-only commands change no byte and never fail because another process reads or
/// writes; writers are serialised with their "unchanged" decision; creation is atomic; leftovers
/// of killed processes are cleaned at the next write.
@Suite("Read-only, concurrent, crash-clean", .serialized)
struct ReadOnlyAndConcurrencyTests {
    /// SHA-256 of every file of the workspace but SQLite's shared-memory index and an empty
    /// write-ahead log (the lock files a WAL reader may create; they hold no data).
    func fingerprint(_ root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for relative in FileManager.default.subpaths(atPath: root.path) ?? [] where !relative.hasSuffix("-shm") {
            var isDirectory: ObjCBool = false
            let path = root.appendingPathComponent(relative).path
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if relative.hasSuffix("-wal"), (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 0 { continue }
            result[relative] = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }

    /// Runs the binary `count` times in each of `jobs` parallel lanes; returns the failures.
    func parallel(_ sandbox: CLISandbox, jobs: Int, count: Int, _ arguments: [String]) -> [String] {
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            for _ in 0..<count {
                do {
                    let result = try sandbox.run(arguments)
                    if result.status != 0 { failures.add(result.stderr) }
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        return failures.all
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ item: String) { lock.lock(); items.append(item); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func readOnlyCommandsChangeNoByte() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        let before = try fingerprint(sandbox.workspace)
        for command in [["verify"], ["log"], ["log", "--json"], ["checkpoint"], ["prove", "entry", "2"], ["prove", "consistency", "--from", "2"],
                        ["prove", "record", "--participant", "P-0001", "--visit", "SE.WEEK2", "--item", "IT.SYSBP"], ["rejects", "--run", "3"],
                        ["trust", "show"], ["export", "--bundle", sandbox.directory.appendingPathComponent("b.zip").path],
                        ["publish", sandbox.directory.appendingPathComponent("www").path, "--entries"]] {
            let result = try sandbox.run(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(try fingerprint(sandbox.workspace) == before, "\(command) changed the workspace")
        }
        // The published checkpoint is the ledger's latest, as signed.
        let published = try String(contentsOf: sandbox.directory.appendingPathComponent("www/checkpoint"), encoding: .utf8)
        #expect(published == (try sandbox.run(["checkpoint", "--cosigned"])).stdout)
        #expect(FileManager.default.fileExists(atPath: sandbox.directory.appendingPathComponent("www/tile/entries/000.p/6").path))
    }

    /// Whether this machine lets the tests make a read-only bind mount (root, mount permitted).
    static let canMountReadOnly: Bool = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ro-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        guard shell("mount", "--bind", folder.path, folder.path) == 0 else { return false }
        defer { _ = shell("umount", folder.path) }
        return shell("mount", "-o", "remount,ro,bind", folder.path) == 0
    }()

    @discardableResult
    static func shell(_ arguments: String...) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Auditors are often handed read-only media: every read-only command works on a workspace
    /// on a read-only file system (a read-only bind mount, where the machine allows one).
    @Test(.enabled(if: ReadOnlyAndConcurrencyTests.canMountReadOnly, "needs a read-only bind mount (root, mount permitted)"))
    func readOnlyCommandsWorkOnAReadOnlyFileSystem() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        let mountPoint = sandbox.directory.appendingPathComponent("readonly")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        #expect(Self.shell("mount", "--bind", sandbox.workspace.path, mountPoint.path) == 0)
        defer { Self.shell("umount", mountPoint.path) }
        #expect(Self.shell("mount", "-o", "remount,ro,bind", mountPoint.path) == 0)
        #expect(!FileManager.default.createFile(atPath: mountPoint.appendingPathComponent("probe").path, contents: Data()), "the mount is writable")
        for command in [["verify", "--reexecute"], ["log"], ["checkpoint"], ["prove", "entry", "1"], ["rejects", "--run", "3"],
                        ["export", "--bundle", sandbox.directory.appendingPathComponent("ro.zip").path]] {
            let result = try sandbox.run(command, workspace: mountPoint)
            #expect(result.status == 0, "\(command) on a read-only file system: \(result.stderr)")
        }
        // A command that writes says why it cannot, and exits 2.
        let write = try sandbox.run(["anchor", sandbox.file("n.txt", "n").path], workspace: mountPoint)
        #expect(write.status == 2, "\(write.stderr)")
    }

    @Test func readersRunInParallelWithEachOtherAndWithAWriter() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        // A writer anchoring files in a loop while 4 lanes of readers prove entries.
        let writer = DispatchQueue(label: "writer")
        let written = Failures()
        writer.async {
            for index in 0..<10 {
                let file = sandbox.file("extra-\(index).txt", "extra \(index)\n")
                if let result = try? sandbox.run(["anchor", file.path]), result.status != 0 { written.add(result.stderr) }
            }
        }
        let failures = parallel(sandbox, jobs: 4, count: 12, ["prove", "entry", "1"])
        writer.sync {}
        #expect(failures.isEmpty, "\(failures.count) readers failed: \(failures.first ?? "")")
        #expect(written.all.isEmpty, "\(written.all.first ?? "")")
        #expect(try sandbox.run(["verify"]).status == 0)
    }

    @Test func twoIngestsOfTheSameFileAtOnceCommitOnce() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        for stage in [["init", "--trial", "DEMO-2026-001"], ["ingest", "protocol", "SampleData/protocol.xml"], ["ingest", "consents", "SampleData/consents"]] {
            #expect(try sandbox.run(stage).status == 0)
        }
        let outputs = Failures()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            if let result = try? sandbox.run(["ingest", "measurements", "SampleData/measurements"]) { outputs.add("\(result.status) \(result.stdout)\(result.stderr)") }
        }
        let results = outputs.all
        #expect(results.count == 3 && results.allSatisfy { $0.hasPrefix("0 ") }, "\(results)")
        #expect(results.filter { $0.contains("unchanged") }.count == 2, "\(results)")
        let log = try sandbox.run(["log", "--json"])
        #expect(log.stdout.split(separator: "\n").count == 3, "protocol, consents, one measurement run")
        #expect(try sandbox.run(["verify"]).status == 0)
    }

    @Test func twoRunsCreatingTheSameWorkspaceLeaveOneGoodWorkspace() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        let outputs = Failures()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            if let result = try? sandbox.run(["run", "Pipelines/demo.yml"]) { outputs.add("\(result.status) \(result.stderr)") }
        }
        #expect(outputs.all.allSatisfy { $0.hasPrefix("0 ") }, "\(outputs.all)")
        let verified = try sandbox.run(["verify"])
        #expect(verified.status == 0 && verified.stdout.contains("6 entries"), "\(verified.stdout)\(verified.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.directory.path).filter { $0.contains(".init-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func leftoversOfKilledProcessesAreCleanedAtTheNextWrite() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        // A process id that is not running: the largest a Linux system hands out, plus one.
        let dead = 4_194_305
        let tmp = sandbox.workspace.appendingPathComponent("objects/tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try Data("half a blob".utf8).write(to: tmp.appendingPathComponent("\(dead)-0000"))
        let staging = sandbox.directory.appendingPathComponent(".ws.init-\(dead)-abcd1234")
        try FileManager.default.createDirectory(at: staging.appendingPathComponent("keys"), withIntermediateDirectories: true)
        try Data("PRIVATE KEY".utf8).write(to: staging.appendingPathComponent("keys/operator.key"))
        // A reader leaves them (it changes nothing)…
        #expect(try sandbox.run(["verify"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: staging.path))
        // …the next write removes them.
        let file = sandbox.file("note.txt", "a note\n")
        #expect(try sandbox.run(["anchor", file.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: staging.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }
}
