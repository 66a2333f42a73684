import Foundation

/// A small read-only hash table keyed by UTF-8 bytes: lookups straight from a parser's buffer,
/// without making a `String` per lookup. Built once (from the protocol, say), read many times.
struct ByteKeyTable<Value: Sendable>: Sendable {
    private var keys: [[UInt8]] = []
    private var values: [Value] = []
    /// Open addressing: each slot holds an index into `keys` plus one, or 0 when empty.
    private var slots: [Int32]
    private var mask: Int

    /// A table of `pairs`; the first of duplicate keys wins.
    init<Key: StringProtocol>(_ pairs: [(Key, Value)]) {
        var size = 8
        while size < pairs.count * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        for (key, value) in pairs {
            let bytes = Array(key.utf8)
            var slot = fnv1a(bytes) & mask
            var duplicate = false
            while slots[slot] != 0 {
                if keys[Int(slots[slot]) - 1] == bytes { duplicate = true; break }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            keys.append(bytes)
            values.append(value)
            slots[slot] = Int32(keys.count)
        }
    }

    /// The number of keys.
    var count: Int { keys.count }

    /// The value for `key`, if any.
    subscript(key: UnsafeRawBufferPointer) -> Value? {
        var slot = fnv1a(key) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            let found = keys[entry - 1].withUnsafeBytes { stored in
                stored.count == key.count && (key.isEmpty || memcmp(stored.baseAddress!, key.baseAddress!, key.count) == 0)
            }
            if found { return values[entry - 1] }
            slot = (slot + 1) & mask
        }
    }
}

/// FNV-1a over bytes, folded to a non-negative Int: the hash of the byte-keyed tables.
func fnv1a<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return Int(truncatingIfNeeded: hash >> 1)
}
