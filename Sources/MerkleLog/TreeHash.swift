/// A 32-byte SHA-256 value in a Merkle tree: a leaf hash, an interior node, or a root.
///
/// Stored inline (four machine words) so that building and walking trees never allocates.
public struct TreeHash: Hashable, Sendable {
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    /// The number of bytes in a tree hash.
    public static let byteCount = 32

    /// All zero bytes; never a valid SHA-256 output in practice, used as a placeholder.
    public static let zero = TreeHash(w0: 0, w1: 0, w2: 0, w3: 0)

    @inlinable init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Creates a hash from exactly 32 bytes.
    /// - returns: `nil` when `bytes` is not 32 bytes long.
    @inlinable public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == TreeHash.byteCount else { return nil }
        // One copy from contiguous storage (arrays, Data, buffers); byte by byte otherwise.
        if let copied = bytes.withContiguousStorageIfAvailable({ TreeHash(copying: UnsafeRawBufferPointer($0)) }) {
            self = copied
            return
        }
        var value = TreeHash.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
        self = value
    }

    /// Creates a hash by copying 32 bytes from raw memory.
    /// - precondition: `raw` holds at least 32 bytes.
    @inlinable public init(copying raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= TreeHash.byteCount, "a tree hash needs 32 bytes")
        var value = TreeHash.zero
        withUnsafeMutableBytes(of: &value) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<TreeHash.byteCount]))
        }
        self = value
    }

    /// Parses 64 hexadecimal digits (either case).
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), let value = TreeHash(bytes: bytes) else { return nil }
        self = value
    }

    /// The 32 bytes of the hash.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: self) { Array($0) }
    }

    /// Lowercase hexadecimal, 64 characters.
    public var hex: String {
        // Written straight into the string's storage: contracts name a million records by it.
        withUnsafeBytes(of: self) { raw in
            String(unsafeUninitializedCapacity: 2 * TreeHash.byteCount) { out in
                for index in 0..<TreeHash.byteCount {
                    out[2 * index] = Hex.digits[Int(raw[index] >> 4)]
                    out[2 * index + 1] = Hex.digits[Int(raw[index] & 0x0f)]
                }
                return 2 * TreeHash.byteCount
            }
        }
    }

    /// Compares two hashes in time that does not depend on where they differ.
    @inlinable public func constantTimeEquals(_ other: TreeHash) -> Bool {
        ((w0 ^ other.w0) | (w1 ^ other.w1) | (w2 ^ other.w2) | (w3 ^ other.w3)) == 0
    }

    /// Appends the 32 bytes of the hash to `buffer`.
    @inlinable public func append(to buffer: inout [UInt8]) {
        withUnsafeBytes(of: self) { buffer.append(contentsOf: $0) }
    }
}

extension TreeHash: CustomStringConvertible {
    public var description: String { hex }
}
