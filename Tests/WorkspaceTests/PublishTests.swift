import Foundation
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

/// Issue 15 (first part): the ledger published in the C2SP tlog-tiles layout, read back by a
/// client that knows only the layout and the ledger key.
@Suite("Publishing the log as tlog tiles", .serialized)
struct PublishTests {
    /// A client of the published folder: the checkpoint, the level-0 tiles' leaf hashes, the
    /// entry bundles.
    struct Client {
        let folder: URL

        func file(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) else {
                throw WorkspaceError.outOfRange("\(path) is not published")
            }
            return Array(data)
        }

        func hashes(_ bytes: [UInt8]) -> [TreeHash] {
            stride(from: 0, to: bytes.count, by: 32).compactMap { TreeHash(bytes: Array(bytes[$0..<$0 + 32])) }
        }

        /// The tile at a level and index for a tree of `size` (full, or the right edge's partial).
        func tile(level: Int, index: UInt64, size: UInt64) throws -> [TreeHash] {
            let width = Int(min(256, (size >> UInt64(8 * level)) - index * 256))
            let path = "tile/\(level)/\(Tile.pathElement(index))" + (width < 256 ? ".p/\(width)" : "")
            let hashes = hashes(try file(path))
            guard hashes.count == width else { throw WorkspaceError.outOfRange("\(path) has \(hashes.count) hashes") }
            return hashes
        }
    }

    @Test func aClientRecomputesTheSignedRootAndProofsFromThePublishedFilesAlone() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        let entries = (0..<300).map { Array("entry \($0)".utf8) }
        _ = try appendRaw(workspace, Array(entries.prefix(260)))
        let folder = dir.url.appendingPathComponent("published")
        let first = try workspace.publish(to: folder, entries: true)
        #expect(first.size == 260 && first.tilesWritten >= 3 && first.bundlesWritten == 2)

        let client = Client(folder: folder)
        let note = try SignedNote(parsing: String(decoding: try client.file("checkpoint"), as: UTF8.self))
        _ = try note.verify(trusting: [workspace.ledgerKey])
        let checkpoint = try Checkpoint(parsing: note.text)
        #expect(checkpoint.size == 260)
        // Level 0: every leaf hash; the level-1 tile holds the roots of the full level-0 tiles.
        let leaves = try client.tile(level: 0, index: 0, size: 260) + client.tile(level: 0, index: 1, size: 260)
        #expect(leaves == entries.prefix(260).map { RFC6962.leafHash($0) })
        var tree = InMemoryTree()
        for leaf in leaves { tree.append(leafHash: leaf) }
        #expect(tree.root() == checkpoint.root)
        #expect(try client.tile(level: 1, index: 0, size: 260).first == Tile(level: 0, index: 0, base: Array(leaves.prefix(256))).root)
        // An inclusion proof recomputed from the published files verifies against the signed root.
        let proof = try MerkleProofs.inclusionProof(index: 200, size: 260, source: tree)
        try ProofVerifier.verifyInclusion(index: 200, size: 260, leafHash: leaves[200].bytes, proof: proof.map(\.bytes), root: checkpoint.root.bytes)
        // Entry bundles: a 2-byte big-endian length, then the entry.
        let bundle = try client.file("tile/entries/000")
        #expect(Array(bundle.prefix(2)) == [0, 7] && Array(bundle[2..<9]) == entries[0])
        #expect((try? client.file("tile/entries/001.p/4")) != nil)

        // Incremental: the full tile is kept, the new right edge and checkpoint written.
        _ = try appendRaw(workspace, Array(entries.suffix(40)))
        let second = try workspace.publish(to: folder, entries: true)
        #expect(second.size == 300 && second.tilesKept >= 1)
        #expect(try client.tile(level: 0, index: 1, size: 300).count == 44)

        // A full tile that differs from the log's is refused, never overwritten.
        try Data(repeating: 0, count: 256 * 32).write(to: folder.appendingPathComponent("tile/0/000"))
        #expect(throws: PublishError.self) { try workspace.publish(to: folder, entries: false) }
    }

    @Test func aFolderHoldingALargerOrOtherCheckpointIsNeverRolledBack() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try appendRaw(workspace, (0..<10).map { Array("entry \($0)".utf8) })
        let folder = dir.url.appendingPathComponent("published")
        _ = try workspace.publish(to: folder, entries: false)
        let published = try Data(contentsOf: folder.appendingPathComponent("checkpoint"))

        // Another log's folder (another workspace, another origin) is refused, its checkpoint kept.
        let otherDir = TemporaryDirectory()
        let other = try makeWorkspace(otherDir, trial: "OTHER-1")
        _ = try appendRaw(other, [Array("x".utf8)])
        #expect(throws: PublishError.self) { try other.publish(to: folder, entries: false) }
        #expect(try Data(contentsOf: folder.appendingPathComponent("checkpoint")) == published)

        // A checkpoint larger than the log's (a restored backup of the workspace) is refused.
        var text = String(decoding: published, as: UTF8.self)
        text = text.replacingOccurrences(of: "\n10\n", with: "\n11\n")
        try Data(text.utf8).write(to: folder.appendingPathComponent("checkpoint"))
        #expect(throws: PublishError.self) { try workspace.publish(to: folder, entries: false) }
        // Garbage in place of the checkpoint is refused too.
        try Data("not a checkpoint".utf8).write(to: folder.appendingPathComponent("checkpoint"))
        #expect(throws: PublishError.self) { try workspace.publish(to: folder, entries: false) }
    }

    @Test func anEntryTooLargeForABundleIsAClearError() throws {
        let dir = TemporaryDirectory()
        let workspace = try makeWorkspace(dir)
        _ = try appendRaw(workspace, [Array(repeating: 0x41, count: 70_000)])
        #expect(throws: PublishError.entryTooLarge(index: 0, bytes: 70_000)) { try workspace.publish(to: dir.url.appendingPathComponent("p"), entries: true) }
        #expect(try workspace.publish(to: dir.url.appendingPathComponent("q"), entries: false).size == 1)
    }
}
