import Attestation
import Crypto
import Foundation
import MerkleLog
import Testing
@testable import Workspace

/// Issue 14: every ledger entry stays small whatever the number of files a stage reads and
/// writes; a stage of many files signs a manifest of its lists, which verify reads as if inline.
@Suite("Stage manifests keep entries small", .serialized)
struct StageManifestTests {
    /// A stage reading `count` input files and writing one artifact per file.
    func stage(_ workspace: Workspace, files count: Int, tag: String = "a") throws -> StageReceipt {
        let inputs = (0..<count).map { Array("input \(tag) \($0)\n".utf8) }
        let materials = inputs.enumerated().map { StageMaterial(name: "inbox/participant-\(String(format: "%05d", $0.offset)).json", sha256: Hex.encode(SHA256.hash(data: $0.element))) }
        let description = StageDescription(stage: "bulk", kind: "ingest/consents", materials: materials, parameters: ["tag": .string(tag)])
        guard case let .committed(receipt) = try workspace.runStage(description, { writer in
            for input in inputs { _ = try writer.storeDocument(bytes: input) }
            return inputs.indices.map { StageArtifact(name: "bulk-\(tag)/participant-\(String(format: "%05d", $0)).json", bytes: Array("{\"n\":\($0),\"tag\":\"\(tag)\"}".utf8)) }
        }) else { throw WorkspaceError.outOfRange("not committed") }
        return receipt
    }

    func entry(_ workspace: Workspace, _ index: UInt64) throws -> (bytes: [UInt8], statement: InTotoStatement) {
        let stored = try workspace.read { try $0.entry(index) }
        return (stored.entry, try DSSEEnvelope(parsing: stored.entry).statement())
    }

    @Test func aStageOfThousandsOfFilesSignsAManifestAndVerifies() throws {
        let directory = TemporaryDirectory()
        let workspace = try makeWorkspace(directory)
        let small = try stage(workspace, files: 20, tag: "small")
        let (smallBytes, smallStatement) = try entry(workspace, small.entryIndex)
        #expect(smallStatement.predicate["manifest"] == nil && smallStatement.subjects.count == 20, "a small stage stays inline")
        let big = try stage(workspace, files: 2_000)
        let (bytes, statement) = try entry(workspace, big.entryIndex)
        #expect(bytes.count < 40 * 1024 && smallBytes.count < 40 * 1024, "\(bytes.count) bytes")
        #expect(statement.subjects.map(\.name) == [StageManifest.subjectName])
        #expect(statement.predicate["manifest"]?["subjects"]?.integerValue == 2_000 && statement.predicate["materials"] == nil)
        // Read as if inline: 5,000 subjects (and the manifest), 5,000 materials and versions.
        let expanded = try workspace.expanded(statement, index: big.entryIndex)
        #expect(expanded.subjects.count == 2_001 && expanded.predicate["materials"]?.arrayValue?.count == 2_000)
        #expect(expanded.predicate["artifactVersions"]?.arrayValue?.count == 2_000)
        #expect(try workspace.artifactVersions(ofRun: big.runID).count == 2_000)
        // The same inputs again: unchanged (the key is the expanded materials').
        let again = try workspace.runStage(StageDescription(stage: "bulk", kind: "ingest/consents",
            materials: (0..<2_000).map { StageMaterial(name: "inbox/participant-\(String(format: "%05d", $0)).json", sha256: Hex.encode(SHA256.hash(data: Array("input a \($0)\n".utf8)))) },
            parameters: ["tag": "a"])) { _ in [] }
        #expect(again == .unchanged(entryIndex: big.entryIndex))
        let report = try workspace.verifyLedger()
        #expect(report.stages.artifacts == 2_021)
        // Published: every entry fits a tlog-tiles bundle.
        _ = try workspace.publish(to: directory.url.appendingPathComponent("www"), entries: true)
    }

    @Test func anAlteredOrMissingManifestOrAForgedListIsCaught() throws {
        let directory = TemporaryDirectory()
        let workspace = try makeWorkspace(directory)
        let big = try stage(workspace, files: 2_000)
        let statement = try entry(workspace, big.entryIndex).statement
        let digest = try #require(statement.predicate["manifest"]?["sha256"]?.stringValue)
        let path = workspace.objects.path(for: digest)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        func failure() -> String? {
            do { _ = try workspace.verifyLedger(); return nil } catch { return "\(error)" }
        }
        // One artifact's digest changed in the manifest: its bytes no longer have the signed digest.
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let text = String(decoding: original, as: UTF8.self)
        let forged = text.replacingOccurrences(of: Hex.encode(SHA256.hash(data: Array("{\"n\":7,\"tag\":\"a\"}".utf8))), with: String(repeating: "0", count: 64))
        try Data(forged.utf8).write(to: URL(fileURLWithPath: path))
        #expect(failure()?.contains("the stage manifest of entry \(big.entryIndex)") == true, "\(failure() ?? "passed")")
        try FileManager.default.removeItem(atPath: path)
        #expect(failure()?.contains("the stage manifest of entry \(big.entryIndex)") == true)
        try original.write(to: URL(fileURLWithPath: path))
        #expect(failure() == nil)
        // A stage_artifacts row the manifest does not list is caught as before.
        try tamper(workspace, "UPDATE stage_artifacts SET sha256 = ? WHERE name = 'bulk-a/participant-00003.json'", arguments: [String(repeating: "1", count: 64)])
        #expect(failure()?.contains("which its attestation (entry \(big.entryIndex)) does not sign") == true, "\(failure() ?? "passed")")
    }
}
