@testable import Audit
import Foundation
import Testing
import Workspace
import ZIPFoundation

@Suite("Portable bundles", .serialized)
struct BundleTests {
    let demo: DemoRun
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bundles-\(UUID().uuidString)")

    /// One demo run for the suite: the tests only read it.
    nonisolated(unsafe) static let sharedDemo = try! DemoRun()

    init() throws {
        demo = BundleTests.sharedDemo
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func exported() throws -> URL {
        let url = folder.appendingPathComponent("trial.zip")
        if !FileManager.default.fileExists(atPath: url.path) { _ = try TrialBundle.export(demo.workspace, to: url) }
        return url
    }

    func open(_ url: URL) throws -> Workspace {
        try TrialBundle.open(url, into: folder.appendingPathComponent("open-\(UUID().uuidString)"))
    }

    @Test func aBundleVerifiesAndReexecutesInAFreshDirectoryWithoutPrivateKeys() throws {
        let url = try exported()
        let archive = try Archive(url: url, accessMode: .read)
        let paths = archive.map(\.path)
        #expect(paths.contains("bundle.json") && paths.contains("trialchain.sqlite") && paths.contains("keys/ledger.pub"))
        #expect(!paths.contains { $0.hasSuffix(".key") }, "no private key leaves the workspace")
        let copy = try open(url)
        #expect(copy.layout.root != demo.workspace.layout.root)
        let held = try demo.workspace.read { try $0.checkpoint() }
        let report = try copy.verifyLedger(external: held.note)
        #expect(report.entries == 6 && report.externalCheckpointSize == held.size && report.stages.blobs > 100)
        #expect(try Reexecutor(workspace: copy).run().outputs == 8)
    }

    @Test func truncatedAndForeignFilesAreNotBundles() throws {
        let url = try exported()
        let bytes = try Data(contentsOf: url)
        let truncated = folder.appendingPathComponent("truncated.zip")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        let foreign = folder.appendingPathComponent("foreign.zip")
        try Data("PK\u{3}\u{4} not really".utf8).write(to: foreign)
        for file in [truncated, foreign, folder.appendingPathComponent("missing.zip")] {
            #expect(throws: BundleError.self, "\(file.lastPathComponent)") { try open(file) }
            do { _ = try open(file) } catch let error as BundleError {
                guard case .notABundle = error else { Issue.record("\(file.lastPathComponent): \(error)"); continue }
            }
        }
    }

    @Test func aChangedMemberIsCaughtAgainstTheManifest() throws {
        let url = try exported()
        let altered = folder.appendingPathComponent("altered.zip")
        try FileManager.default.copyItem(at: url, to: altered)
        let archive = try Archive(url: altered, accessMode: .update)
        let member = try #require(archive.first { $0.path.hasPrefix("objects/") })
        let path = member.path
        var content = Data()
        _ = try archive.extract(member) { content.append($0) }
        content[0] ^= 1
        try archive.remove(member)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(content.count), provider: { (position: Int64, size: Int) -> Data in
            content.subdata(in: Int(position)..<Int(position) + size)
        })
        #expect(throws: BundleError.altered(file: "altered.zip", reason: "\(path) does not have the SHA-256 its manifest lists")) { try open(altered) }
    }

    @Test func anUnlistedOrEscapingMemberIsRefused() throws {
        for path in ["extra.txt", "../escape", "keys/operator.key"] {
            let url = try exported()
            let changed = folder.appendingPathComponent("changed-\(UUID().uuidString).zip")
            try FileManager.default.copyItem(at: url, to: changed)
            let archive = try Archive(url: changed, accessMode: .update)
            let data = Data("x".utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: 1, provider: { (_: Int64, _: Int) -> Data in data })
            #expect(throws: BundleError.notABundle(file: changed.lastPathComponent, reason: "it holds \(path), which its manifest does not list")) { try open(changed) }
        }
        #expect(!TrialBundle.isAllowed("objects/sha256/ab/../../x") && !TrialBundle.isAllowed("/etc/passwd") && TrialBundle.isAllowed("trialchain.sqlite"))
    }

    @Test func aReplacedHistoryFailsAgainstACheckpointHeldElsewhere() throws {
        let held = try demo.workspace.read { try $0.checkpoint() }.note
        // A fresh, self-consistent ledger for the same trial and origin, with keys of its own.
        let other = try Workspace.create(at: folder.appendingPathComponent("other"), trialID: demo.workspace.trialID, origin: demo.workspace.origin)
        let file = folder.appendingPathComponent("f.txt")
        try Data("replacement".utf8).write(to: file)
        for _ in 0..<6 { _ = try other.anchor([(url: file, name: "f.txt")]) }
        let url = folder.appendingPathComponent("other.zip")
        _ = try TrialBundle.export(other, to: url)
        let copy = try open(url)
        _ = try copy.verifyLedger(external: nil)
        #expect(throws: IntegrityFailure.self) { try copy.verifyLedger(external: held) }
    }
}
