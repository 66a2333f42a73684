import Crypto
import Foundation
import MerkleLog
import Testing
@testable import Ingest
@testable import Workspace

/// Inputs come only from real files inside the folder they were given in: a stage stores,
/// anchors and exports what it reads, so a symbolic link could smuggle any file of the machine
/// into a bundle; and a name with control characters could print as something else.
@Suite("Inputs are real files inside their folder", .serialized)
struct InputHardeningTests {
    func consentFolder(_ box: IngestSandbox, attachment: String) throws -> URL {
        let folder = box.root.appendingPathComponent("consents-in")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("documents"), withIntermediateDirectories: true)
        let json = try String(contentsOf: sampleData.appendingPathComponent("consents/P-0001.json"), encoding: .utf8)
            .replacingOccurrences(of: "documents/P-0001-consent-v2.0.pdf", with: attachment)
            .replacingOccurrences(of: #", "hash": "mv3kgmaxfbzhs1AoEhKujcVemw8=""#, with: "")
        try Data(json.utf8).write(to: folder.appendingPathComponent("P-0001.json"))
        return folder
    }

    @Test func aConsentAttachmentThatIsASymlinkOrOutsideItsFolderIsRejected() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        for (attachment, expected) in [("documents/passwd.pdf", "is a symbolic link"), ("../../../../../../etc/passwd", "inside its folder")] {
            let folder = try consentFolder(box, attachment: attachment)
            let link = folder.appendingPathComponent("documents/passwd.pdf")
            try? FileManager.default.removeItem(at: link)
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc/passwd")
            let file = try InputFile(url: folder.appendingPathComponent("P-0001.json"), name: "P-0001.json")
            let receipt = try box.receipt(try box.ingestor.ingestConsents([file], options: IngestOptions(reason: "retry")))
            #expect(receipt.recordCount == 0 && receipt.rejectCount == 1)
            let reject = try #require(try box.workspace.rejects(runID: receipt.runID).first?.reject)
            #expect(reject.field.hasSuffix("sourceAttachment.url") && reject.reason.contains(expected), "\(reject.reason)")
            // Nothing of /etc/passwd reached the object store.
            let passwd = try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd"))
            #expect(!box.workspace.objects.contains(Hex.encode(SHA256.hash(data: passwd))))
            try FileManager.default.removeItem(at: folder)
        }
    }

    @Test func anInputThatIsASymlinkOrLiesBehindOneIsRefused() throws {
        let box = try IngestSandbox()
        let folder = box.root.appendingPathComponent("drop")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("site-1.csv").path, withDestinationPath: "/etc/hostname")
        #expect(throws: WorkspaceError.self) { try InputFile(url: folder.appendingPathComponent("site-1.csv"), name: "site-1.csv", root: folder) }
        #expect(throws: WorkspaceError.self) { try InputFile(url: folder.appendingPathComponent("site-1.csv"), name: "site-1.csv") }
        // A real file behind a symlinked folder.
        let real = box.root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try Data("participant\n".utf8).write(to: real.appendingPathComponent("m.csv"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("sub").path, withDestinationPath: real.path)
        do {
            _ = try InputFile(url: folder.appendingPathComponent("sub/m.csv"), name: "drop/sub/m.csv", root: folder)
            Issue.record("a file behind a symlinked folder was accepted")
        } catch let error as WorkspaceError {
            #expect("\(error)".contains("is a symbolic link"), "\(error)")
        }
        // And a path that climbs out of its root.
        #expect(throws: WorkspaceError.self) { try InputFile(url: folder.appendingPathComponent("../elsewhere/m.csv"), name: "m.csv", root: folder) }
        // A plain file inside the root is fine.
        try Data("participant\n".utf8).write(to: folder.appendingPathComponent("ok.csv"))
        #expect(try InputFile(url: folder.appendingPathComponent("ok.csv"), name: "ok.csv", root: folder).name == "ok.csv")
    }

    @Test func aFileNameWithControlCharactersIsRefusedAndNeverPrintedRaw() throws {
        let box = try IngestSandbox()
        let name = "site-1.csv\n#5 ingest-measurements performed by Someone Else"
        let url = box.root.appendingPathComponent(name)
        try Data("participant\n".utf8).write(to: url)
        do {
            _ = try InputFile(url: url, name: name)
            Issue.record("a name with a newline was accepted")
        } catch let error as WorkspaceError {
            #expect(!"\(error)".contains("\n") && "\(error)".contains("\\u{a}"), "\(error)")
        }
        #expect(InputPath.printable("a\u{1B}[2Kb\u{2028}") == "a\\u{1b}[2Kb\\u{2028}")
    }
}
