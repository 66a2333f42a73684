import Foundation
import MerkleLog
import SignedNote

/// The body of a c2sp.org/tlog-witness `POST /add-checkpoint` request: `old <size>`, up to 63
/// base64 consistency-proof lines, an empty line, then the signed checkpoint.
public struct AddCheckpointRequest: Equatable, Sendable {
    /// The most proof lines the spec allows.
    public static let maximumProofLines = 63
    /// The largest body a witness reads (a checkpoint with many cosignatures is a few KiB).
    public static let maximumBodyBytes = 64 * 1024

    /// The size of the checkpoint the log believes the witness holds (0: none).
    public let oldSize: UInt64
    /// The RFC 6962 consistency proof from `oldSize` to the checkpoint's size.
    public let proof: [TreeHash]
    /// The signed checkpoint (note text and signature lines).
    public let checkpoint: String

    public init(oldSize: UInt64, proof: [TreeHash], checkpoint: String) {
        self.oldSize = oldSize
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// Reads a request body.
    /// - throws: `AddCheckpointRefusal.malformed` saying what is wrong (a 400 answer).
    public init(parsing body: [UInt8]) throws(AddCheckpointRefusal) {
        guard body.count <= Self.maximumBodyBytes else {
            throw .malformed("the body is \(body.count) bytes; at most \(Self.maximumBodyBytes)")
        }
        guard let text = String(validating: body, as: UTF8.self) else { throw .malformed("the body is not UTF-8") }
        guard let blank = text.range(of: "\n\n") else {
            throw .malformed("expected \"old <size>\", proof lines, an empty line and the checkpoint")
        }
        let header = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = header.first, first.hasPrefix("old "), let size = UInt64(first.dropFirst(4)),
              String(size) == first.dropFirst(4) else {
            throw .malformed("the first line must be \"old <size>\" (a decimal size without leading zeros)")
        }
        let lines = header.dropFirst()
        guard lines.count <= Self.maximumProofLines else {
            throw .malformed("\(lines.count) proof lines; at most \(Self.maximumProofLines)")
        }
        var proof: [TreeHash] = []
        for (index, line) in lines.enumerated() {
            guard let bytes = Data(base64Encoded: String(line)), let hash = TreeHash(bytes: bytes), Data(hash.bytes).base64EncodedString() == line else {
                throw .malformed("proof line \(index + 1) is not the base64 of a 32-byte hash")
            }
            proof.append(hash)
        }
        self.init(oldSize: size, proof: proof, checkpoint: String(text[blank.upperBound...]))
    }

    /// The request body.
    public var body: [UInt8] {
        var text = "old \(oldSize)\n"
        for hash in proof { text += Data(hash.bytes).base64EncodedString() + "\n" }
        return Array((text + "\n" + checkpoint).utf8)
    }
}
