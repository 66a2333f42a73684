import Foundation
import Testing
@testable import MerkleLog

@Suite("Tiles: the stored shape of the tree")
struct TileTests {
    struct TilePaths: Decodable {
        struct Encoding: Decodable { let n: UInt64; let path_elem: String }
        let index_encoding: [Encoding]
    }

    @Test func tilePathEncodingMatchesTheSpec() throws {
        let vectors = try Vectors.load(TilePaths.self, "tlog_tiles_paths.json")
        #expect(vectors.index_encoding.count >= 4)
        for item in vectors.index_encoding {
            #expect(Tile.pathElement(item.n) == item.path_elem)
        }
    }

    @Test func aTreeOf70000HasTheSpecsTiles() {
        // tlog-tiles: 273 full level-0 tiles + .p/112; 1 full level-1 + .p/17; level 2 .p/1.
        var appender = TileAppender()
        var full: [Int: Int] = [:]
        for i in 0..<70_000 {
            appender.append(RFC6962.leafHash(Array("\(i)".utf8))) { full[$0.level, default: 0] += 1 }
        }
        #expect(full == [0: 273, 1: 1])
        #expect(appender.partialTiles.map(\.path) == ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"])
        #expect(TileAppender.partialWidths(size: 70_000) == [112, 17, 1])
    }

    @Test func interiorRowsHoldEveryPerfectSubtree() throws {
        var tree = InMemoryTree()
        var tiles: [Tile] = []
        var appender = TileAppender()
        for i in 0..<(256 * 3 + 77) {
            let leaf = RFC6962.leafHash(Array("leaf \(i)".utf8))
            tree.append(leafHash: leaf)
            appender.append(leaf) { tiles.append($0) }
        }
        tiles += appender.partialTiles
        for tile in tiles {
            for row in 0...Tile.height {
                for position in 0..<(tile.width >> row) {
                    let node = NodeID(level: tile.level * Tile.height + row,
                                      index: (tile.index << UInt64(Tile.height - row)) + UInt64(position))
                    #expect(tile.hash(row: row, position: position) == tree.hash(of: node), "\(tile.path) row \(row) pos \(position)")
                    // A tile's top hash is found as the base of the tile above it.
                    guard row < Tile.height else { continue }
                    let located = Tile.locate(node)
                    #expect(located.level == tile.level && located.index == tile.index)
                    #expect(located.row == row && located.position == position)
                    #expect(located.minimumWidth <= tile.width)
                }
            }
            let decoded = Tile(level: tile.level, index: tile.index, width: tile.width, encoded: tile.encoded)
            #expect(decoded == tile)
            #expect(tile.tlogBytes.count == tile.width * 32)
        }
        #expect(Tile(level: 0, index: 0, width: 3, encoded: [1, 2, 3]) == nil)
    }

    @Test(arguments: [1, 2, 255, 256, 257, 1000, 65_535, 65_536, 65_537, 70_000] as [Int])
    func appenderRootMatchesTheReferenceAcrossBatches(size: Int) throws {
        var tree = InMemoryTree()
        var appender = TileAppender()
        var rng = SeededGenerator(state: UInt64(size))
        var appended = 0
        while appended < size {
            // Resume from the persisted right edge after every batch, as the store does.
            let batch = min(size - appended, Int.random(in: 1...5000, using: &rng))
            for _ in 0..<batch {
                let leaf = RFC6962.leafHash(withUnsafeBytes(of: UInt64(appended)) { Array($0) })
                tree.append(leafHash: leaf)
                appender.append(leaf) { _ in }
                appended += 1
            }
            #expect(appender.root == tree.root(), "size \(appended)")
            let partial = appender.partialTiles
            var bases = TileAppender.partialWidths(size: appender.size).map { _ in [TreeHash]() }
            for tile in partial { bases[tile.level] = Array(tile.base) }
            appender = try TileAppender(size: appender.size, partialBases: bases)
        }
        #expect(throws: TileError.self) { try TileAppender(size: 300, partialBases: [[]]) }
    }
}
