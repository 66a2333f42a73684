import Crypto
import Foundation

/// The RFC 6962 / RFC 9162 tree hashing rules over SHA-256.
///
/// Leaves are `SHA-256(0x00 ‖ entry)` and interior nodes `SHA-256(0x01 ‖ left ‖ right)`; the
/// prefix bytes keep a leaf from ever being mistaken for a node (second-preimage defence).
public enum RFC6962 {
    /// The root of the empty tree, `SHA-256("")`.
    public static let emptyRoot: TreeHash = digest { _ in }

    /// The leaf hash of one entry: `SHA-256(0x00 ‖ entry)`.
    @inlinable public static func leafHash<Bytes: ContiguousBytes>(_ entry: Bytes) -> TreeHash {
        digest { hasher in
            withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
            entry.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
    }

    /// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
    @inlinable public static func nodeHash(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { block in
            block[0] = 0x01
            withUnsafeBytes(of: left) { UnsafeMutableRawBufferPointer(rebasing: block[1..<33]).copyMemory(from: $0) }
            withUnsafeBytes(of: right) { UnsafeMutableRawBufferPointer(rebasing: block[33..<65]).copyMemory(from: $0) }
            return digest { $0.update(bufferPointer: UnsafeRawBufferPointer(block)) }
        }
    }

    /// Interior node over two arbitrary byte strings, as the RFC 6962 hasher vectors use.
    public static func nodeHash(rawLeft: [UInt8], rawRight: [UInt8]) -> TreeHash {
        digest { hasher in
            hasher.update(data: [0x01] as [UInt8])
            hasher.update(data: rawLeft)
            hasher.update(data: rawRight)
        }
    }

    /// The Merkle tree hash (MTH) of a list of leaf hashes, computed directly from the definition.
    public static func rootHash(leafHashes: [TreeHash]) -> TreeHash {
        var frontier = MerkleFrontier()
        for leaf in leafHashes { frontier.append(leaf) }
        return frontier.root
    }

    @usableFromInline static func digest(_ body: (inout SHA256) -> Void) -> TreeHash {
        var hasher = SHA256()
        body(&hasher)
        let digest = hasher.finalize()
        return digest.withUnsafeBytes { TreeHash(copying: $0) }
    }
}
