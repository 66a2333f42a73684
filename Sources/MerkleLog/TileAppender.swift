/// Grows a Merkle tree tile by tile: feed it leaf hashes, it hands back each tile as it fills.
///
/// Holds only the right edge (at most 255 hashes per tile level), so memory stays flat whatever
/// the tree size. After a batch, `partialTiles` are the right-edge tiles to persist with the
/// batch's checkpoint, and `root` is the new tree's root.
public struct TileAppender: Sendable {
    /// The number of leaves in the tree.
    public private(set) var size: UInt64
    /// For each tile level, the base row of the tile being filled (fewer than 256 hashes).
    private var bases: [[TreeHash]]

    /// Starts from a tree of `size` leaves whose right-edge tiles hold `partialBases`.
    /// - parameter partialBases: per tile level, the base row of the partial tile at that level;
    ///   `partialBases[L].count` must be `(size >> 8L) & 255`.
    /// - throws: `TileError.partialWidthMismatch` when a row does not fit the size.
    public init(size: UInt64, partialBases: [[TreeHash]]) throws {
        for (level, base) in partialBases.enumerated() {
            let expected = Int((size >> UInt64(Tile.height * level)) & 0xff)
            guard base.count == expected else {
                throw TileError.partialWidthMismatch(level: level, expected: expected, found: base.count)
            }
        }
        var needed = 0
        while (size >> UInt64(Tile.height * needed)) > 0 { needed += 1 }
        guard partialBases.count >= needed else {
            throw TileError.partialWidthMismatch(level: partialBases.count, expected: Int((size >> UInt64(Tile.height * partialBases.count)) & 0xff), found: 0)
        }
        self.size = size
        self.bases = partialBases
    }

    /// An empty tree.
    public init() {
        self.size = 0
        self.bases = []
    }

    /// The widths that `init(size:partialBases:)` expects for a tree of `size` leaves, per level.
    public static func partialWidths(size: UInt64) -> [Int] {
        var widths: [Int] = []
        var level = 0
        while (size >> UInt64(Tile.height * level)) > 0 {
            widths.append(Int((size >> UInt64(Tile.height * level)) & 0xff))
            level += 1
        }
        return widths
    }

    /// Appends one leaf hash; `emit` receives each tile that this completes (lowest level first).
    public mutating func append(_ leafHash: TreeHash, emit: (Tile) throws -> Void) rethrows {
        var carry = leafHash
        var level = 0
        while true {
            if bases.count == level { bases.append([]) }
            bases[level].append(carry)
            guard bases[level].count == Tile.fullWidth else { break }
            let tileIndex = size >> UInt64(Tile.height * (level + 1))
            let tile = Tile(level: level, index: tileIndex, base: bases[level])
            bases[level].removeAll(keepingCapacity: true)
            try emit(tile)
            carry = tile.root!
            level += 1
        }
        size += 1
    }

    /// The right-edge tiles of the current tree, lowest level first (levels whose row is empty
    /// have none).
    public var partialTiles: [Tile] {
        bases.enumerated().compactMap { level, base in
            base.isEmpty ? nil : Tile(level: level, index: size >> UInt64(Tile.height * (level + 1)), base: base)
        }
    }

    /// The root of the current tree (RFC 9162 MTH).
    public var root: TreeHash {
        let nodes = partialTiles.reversed().flatMap(\.decomposition)
        return MerkleProofs.fold(nodes)
    }
}

/// Inconsistent tile state handed to a `TileAppender`.
public enum TileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stored right-edge tile at `level` has the wrong width for the tree size.
    case partialWidthMismatch(level: Int, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .partialWidthMismatch(level, expected, found):
            return "the right-edge tile at level \(level) has \(found) hashes; the tree size needs \(expected)"
        }
    }
}
