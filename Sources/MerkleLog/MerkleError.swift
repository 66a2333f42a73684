/// Why a Merkle proof could not be built or did not verify.
public enum MerkleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A leaf index at or past the tree size.
    case indexOutOfRange(index: UInt64, size: UInt64)
    /// A consistency proof was asked between sizes that do not satisfy `0 < from <= to`.
    case invalidConsistencyRange(from: UInt64, to: UInt64)
    /// A hash that is not 32 bytes long (what names it: "leaf hash", "proof element 3", …).
    case malformedHash(what: String, byteCount: Int)
    /// A proof with the wrong number of hashes for its index and sizes.
    case wrongProofLength(got: Int, want: Int)
    /// The proof does not lead to the expected root.
    case rootMismatch(computed: TreeHash, expected: String)
    /// A consistency proof from the empty tree, which proves nothing (transparency-dev rule).
    case consistencyFromEmptyTree
    /// Equal sizes with different roots, or a non-empty proof between equal sizes.
    case sameSizeMismatch
    /// A consistency proof with no hashes between different sizes.
    case emptyProof

    public var description: String {
        switch self {
        case let .indexOutOfRange(index, size):
            return "leaf index \(index) is outside a tree of \(size) entries (valid: 0..<\(size))"
        case let .invalidConsistencyRange(from, to):
            if from == 0 { return "a consistency proof from size 0 proves nothing; ask from size 1 or more" }
            return "cannot prove consistency from size \(from) to the smaller size \(to)"
        case let .malformedHash(what, count):
            return "\(what) is \(count) bytes; a SHA-256 hash is 32 bytes"
        case let .wrongProofLength(got, want):
            return "the proof has \(got) hashes; for this index and size it must have \(want)"
        case let .rootMismatch(computed, expected):
            return "the proof leads to root \(computed.hex), not the expected \(expected)"
        case .consistencyFromEmptyTree:
            return "a consistency proof from the empty tree is meaningless"
        case .sameSizeMismatch:
            return "equal tree sizes need an empty proof and equal roots"
        case .emptyProof:
            return "the consistency proof is empty but the sizes differ"
        }
    }
}
