import Foundation
import MerkleLog
import Testing

/// A tree hash read from any byte container is the same 32 bytes, whether the container is
/// contiguous (one copy) or not (byte by byte); any other length is refused.
@Suite("TreeHash from bytes")
struct TreeHashTests {
    @Test func everyContainerGivesTheSameHashAndOtherLengthsAreRefused() throws {
        let bytes: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let expected = try #require(TreeHash(hex: bytes.map { String(format: "%02x", $0) }.joined()))
        #expect(expected.bytes == bytes)
        #expect(TreeHash(bytes: bytes) == expected)
        #expect(TreeHash(bytes: Data(bytes)) == expected)
        #expect(TreeHash(bytes: ([0xff] + bytes + [0xff])[1..<33]) == expected)                 // a slice
        #expect(TreeHash(bytes: Data([0xff] + bytes).dropFirst()) == expected)                   // a Data slice
        #expect(TreeHash(bytes: bytes.lazy.map { $0 }) == expected)                              // not contiguous
        #expect(TreeHash(bytes: bytes.reversed().reversed()) == expected)
        for count in [0, 31, 33, 64] {
            #expect(TreeHash(bytes: [UInt8](repeating: 1, count: count)) == nil)
            #expect(TreeHash(bytes: Data(count: count)) == nil)
        }
    }
}
