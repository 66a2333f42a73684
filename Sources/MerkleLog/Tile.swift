/// A tile in the sense of c2sp.org/tlog-tiles, with its interior hashes kept beside it.
///
/// A tile at level `L` and index `N` holds up to 256 consecutive hashes of tree height `8·L`
/// (its *base row*; for `L = 0` these are leaf hashes). Its base row, byte for byte, is the
/// tlog-tiles tile. TrialChain also keeps the rows above it (heights `8·L+1 … 8·L+8`, each half
/// the width of the one below) so that any perfect subtree inside the tile is one lookup away:
/// an inclusion proof then reads one tile per 8 levels and hashes nothing.
///
/// A *full* tile has width 256; a *partial* tile (width 1…255) is the right edge of the tree at
/// some checkpoint. Both are immutable: a wider version of a partial tile is a new tile.
public struct Tile: Equatable, Sendable {
    /// The tile height in tree levels (tlog-tiles uses 8).
    public static let height = 8
    /// The width of a full tile.
    public static let fullWidth = 256

    /// Tile level: its base row has tree height `8 * level`.
    public let level: Int
    /// Position among the tiles of the same level.
    public let index: UInt64
    /// The number of hashes in the base row (1…256).
    public let width: Int
    /// The base row followed by each interior row, bottom to top.
    public let hashes: [TreeHash]

    /// Builds a tile from its base row, computing the interior rows.
    /// - precondition: `base` holds 1…256 hashes.
    public init(level: Int, index: UInt64, base: [TreeHash]) {
        precondition(!base.isEmpty && base.count <= Tile.fullWidth, "a tile holds 1…256 hashes")
        var all = base
        all.reserveCapacity(Tile.storedCount(width: base.count))
        var rowStart = 0
        var rowWidth = base.count
        while rowWidth > 1 {
            for pair in 0..<(rowWidth / 2) {
                all.append(RFC6962.nodeHash(all[rowStart + 2 * pair], all[rowStart + 2 * pair + 1]))
            }
            rowStart += rowWidth
            rowWidth /= 2
        }
        self.level = level
        self.index = index
        self.width = base.count
        self.hashes = all
    }

    /// Decodes a tile from its stored bytes (every row, 32 bytes a hash).
    /// - returns: `nil` when the byte count does not match the width.
    public init?(level: Int, index: UInt64, width: Int, encoded: [UInt8]) {
        guard width >= 1, width <= Tile.fullWidth,
              encoded.count == Tile.storedCount(width: width) * TreeHash.byteCount else { return nil }
        var all: [TreeHash] = []
        all.reserveCapacity(encoded.count / TreeHash.byteCount)
        encoded.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                all.append(TreeHash(copying: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + TreeHash.byteCount)])))
                offset += TreeHash.byteCount
            }
        }
        self.level = level
        self.index = index
        self.width = width
        self.hashes = all
    }

    /// How many hashes a tile of `width` stores, interior rows included (511 for a full tile).
    public static func storedCount(width: Int) -> Int {
        var total = 0
        var row = width
        while row > 0 { total += row; row /= 2 }
        return total
    }

    /// True for a tile with 256 hashes in its base row.
    public var isFull: Bool { width == Tile.fullWidth }

    /// The base row: exactly the tlog-tiles tile.
    public var base: ArraySlice<TreeHash> { hashes[0..<width] }

    /// The stored form: every row, 32 bytes a hash.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hashes.count * TreeHash.byteCount)
        for hash in hashes { hash.append(to: &out) }
        return out
    }

    /// The tlog-tiles bytes of the tile: the base row only.
    public var tlogBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(width * TreeHash.byteCount)
        for hash in base { hash.append(to: &out) }
        return out
    }

    /// The hash at `row` (0 = base) and `position` within that row, if the tile covers it.
    public func hash(row: Int, position: Int) -> TreeHash? {
        guard row >= 0, row <= Tile.height, position >= 0, position < (width >> row) else { return nil }
        var offset = 0
        for lower in 0..<row { offset += width >> lower }
        return hashes[offset + position]
    }

    /// The root of a full tile: the hash of height `8·(level+1)` it stands for.
    public var root: TreeHash? { isFull ? hashes.last : nil }

    /// The perfect subtrees that make up the base row, largest first: the tile's share of the
    /// decomposition of the tree's root.
    public var decomposition: [TreeHash] {
        var nodes: [TreeHash] = []
        var position = 0
        for row in stride(from: Tile.height, through: 0, by: -1) where width & (1 << row) != 0 {
            nodes.append(hash(row: row, position: position >> row)!)
            position += 1 << row
        }
        return nodes
    }

    /// Where the node `node` lives among tiles: the tile level and index, the row and position
    /// in that tile, and the smallest tile width that covers it.
    public static func locate(_ node: NodeID) -> (level: Int, index: UInt64, row: Int, position: Int, minimumWidth: Int) {
        let level = node.level / Tile.height
        let row = node.level % Tile.height
        let firstBase = node.index << UInt64(row)
        let tileIndex = firstBase >> UInt64(Tile.height)
        let position = Int(node.index - (tileIndex << UInt64(Tile.height - row)))
        return (level, tileIndex, row, position, (position + 1) << row)
    }

    /// The tlog-tiles path element for a tile index: 3-digit groups, all but the last with an `x`.
    /// 1234067 → `x001/x234/067`.
    public static func pathElement(_ index: UInt64) -> String {
        var groups: [String] = []
        var n = index
        repeat {
            let group = String(n % 1000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            n /= 1000
        } while n > 0
        return groups.reversed().enumerated().map { offset, group in
            offset == groups.count - 1 ? group : "x" + group
        }.joined(separator: "/")
    }

    /// The tlog-tiles path of this tile, e.g. `tile/0/273.p/112`.
    public var path: String {
        "tile/\(level)/\(Tile.pathElement(index))" + (isFull ? "" : ".p/\(width)")
    }
}

/// A parsed c2sp.org/tlog-tiles resource path: a hash tile `tile/<L>/<N>[.p/<W>]` or an entry
/// bundle `tile/entries/<N>[.p/<W>]`. Only the canonical spelling parses (3-digit groups, `x` on
/// all but the last, no leading `x000`, widths 1–255), so one resource has one path.
public struct TilePath: Equatable, Sendable {
    /// The tile level, or nil for an entry bundle.
    public let level: Int?
    public let index: UInt64
    /// 256 for a full tile, 1–255 for a partial one.
    public let width: Int

    /// Parses a path such as `tile/0/x001/234.p/7` (without a leading slash).
    public init?(_ path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "tile" else { return nil }
        if parts[1] == "entries" {
            level = nil
        } else {
            guard let l = Int(parts[1]), l >= 0, l < 64, String(l) == parts[1] else { return nil }
            level = l
        }
        parts.removeFirst(2)
        var width = 256
        if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
            let w = parts.removeLast()
            guard let value = Int(w), value >= 1, value <= 255, String(value) == w else { return nil }
            width = value
            parts[parts.count - 1] = String(parts[parts.count - 1].dropLast(2))
        }
        var index: UInt64 = 0
        for (offset, part) in parts.enumerated() {
            let last = offset == parts.count - 1
            let digits = last ? Substring(part) : (part.hasPrefix("x") ? part.dropFirst() : "")
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let group = UInt64(digits),
                  index <= (UInt64.max - group) / 1000 else { return nil }
            index = index * 1000 + group
        }
        guard Tile.pathElement(index) == parts.joined(separator: "/") else { return nil }
        self.index = index
        self.width = width
    }
}
