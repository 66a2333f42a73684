import Foundation
import Testing
@testable import Workspace

@Suite("The object store")
struct ObjectStoreTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID().uuidString)")

    @Test func blobsStoredWithDeferredFlushAreNamedByTheirHashAndFlushedLater() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let store = ObjectStore(root: root)
        let source = root.appendingPathComponent("in.pdf")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let document = Array("%PDF-1.4 signed consent\n".utf8)
        try Data(document).write(to: source)
        let fromFile = try store.store(fileAt: source, deferSync: true)
        let fromBytes = try store.store(bytes: Array("artifact".utf8), deferSync: true)
        #expect(fromFile.isNew && fromBytes.isNew)
        #expect(fromFile.byteCount == Int64(document.count))
        #expect(store.path(for: fromFile.sha256).hasSuffix("/sha256/\(fromFile.sha256.prefix(2))/\(fromFile.sha256.dropFirst(2))"))
        #expect(FileManager.default.contents(atPath: store.path(for: fromFile.sha256)) == Data(document))
        #expect(store.url(for: fromBytes.sha256).path == store.path(for: fromBytes.sha256))
        try store.synchronize([fromFile.sha256, fromBytes.sha256])
        // The same bytes again: stored once.
        #expect(try store.store(fileAt: source).isNew == false)
        // A flush of a blob that is not there is an error, not a silent success.
        #expect(throws: WorkspaceError.self) { try store.synchronize([String(repeating: "0", count: 64)]) }
    }

    @Test func aDirectoryOrMissingFileIsNotStored() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let store = ObjectStore(root: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("folder"), withIntermediateDirectories: true)
        #expect(throws: WorkspaceError.self) { try store.store(fileAt: root.appendingPathComponent("folder")) }
        #expect(throws: WorkspaceError.self) { try store.store(fileAt: root.appendingPathComponent("missing.pdf")) }
    }
}
