import Foundation
import Testing

/// `trialchain install` puts the binary and its resource bundles on the PATH: an installed binary
/// must not depend on the build folder it came from (which a `rm -rf .build` removes).
@Suite("trialchain install")
struct InstallCLITests {
    @Test func theBinaryAndItsResourceBundlesAreInstalledTogetherAndReplacedOnReinstall() throws {
        let sandbox = CLISandbox()
        let prefix = sandbox.directory.appendingPathComponent("prefix")
        let bin = prefix.appendingPathComponent("bin")
        let schema = "TrialChain_Ingest.resources/odm-1.3.2/ODM1-3-2.xsd"
        let built = CLISandbox.binary.deletingLastPathComponent()
        for round in 1...2 {
            let installed = try sandbox.run(["install", "--prefix", prefix.path], withWorkspace: false)
            #expect(installed.status == 0 && installed.stdout.contains("installed trialchain") && installed.stdout.contains("TrialChain_Ingest.resources"),
                    "round \(round): \(installed.stdout)\(installed.stderr)")
            #expect(FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("trialchain").path))
            #expect(FileManager.default.contents(atPath: bin.appendingPathComponent(schema).path) == FileManager.default.contents(atPath: built.appendingPathComponent(schema).path))
            #expect(FileManager.default.fileExists(atPath: bin.appendingPathComponent("TrialChain_LedgerServer.resources/Explorer").path))
            // Nothing staged is left behind.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: bin.path).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "\(leftovers)")
            if round == 1 {
                // A stale file in an installed bundle does not survive the next install.
                try Data("stale".utf8).write(to: bin.appendingPathComponent("TrialChain_Ingest.resources/stale.txt"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: bin.appendingPathComponent("TrialChain_Ingest.resources/stale.txt").path))
        // The installed binary runs, and reads the ODM schema it carries.
        try sandbox.copySampleTrial()
        let process = Process()
        process.executableURL = bin.appendingPathComponent("trialchain")
        process.arguments = ["ingest", "protocol", "SampleData/protocol.xml", "--workspace", sandbox.workspace.path]
        process.currentDirectoryURL = sandbox.directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
