import Foundation
import MerkleLog

/// A c2sp.org/tlog-checkpoint body: origin, tree size and root hash (plus optional extension lines).
public struct Checkpoint: Equatable, Sendable {
    /// The log's identity, a schema-less URL such as `example.org/trials/DEMO-2026-001`.
    public let origin: String
    /// The number of entries in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash of the tree.
    public let root: TreeHash
    /// Extension lines (not recommended; kept only to round-trip foreign checkpoints).
    public let extensions: [String]

    /// A checkpoint body.
    /// - throws: `NoteError.malformedCheckpoint` for an empty origin or one with a newline.
    public init(origin: String, size: UInt64, root: TreeHash, extensions: [String] = []) throws {
        guard !origin.isEmpty, !origin.contains("\n") else { throw NoteError.malformedCheckpoint("the origin line is empty") }
        guard extensions.allSatisfy({ !$0.isEmpty && !$0.contains("\n") }) else {
            throw NoteError.malformedCheckpoint("extension lines must not be empty")
        }
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// Parses a checkpoint body (the text of a signed note).
    /// - throws: `NoteError.malformedCheckpoint` naming the line that is wrong.
    public init(parsing text: String) throws {
        guard text.hasSuffix("\n") else { throw NoteError.malformedCheckpoint("the body must end in a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw NoteError.malformedCheckpoint("expected origin, size and root lines, found \(lines.count) lines") }
        let sizeLine = lines[1]
        guard !sizeLine.isEmpty, sizeLine.allSatisfy(\.isASCII), sizeLine.allSatisfy(\.isNumber),
              sizeLine == "0" || !sizeLine.hasPrefix("0"), let size = UInt64(sizeLine) else {
            throw NoteError.malformedCheckpoint("line 2 must be the tree size in decimal without leading zeros, found \"\(sizeLine.prefix(30))\"")
        }
        guard let rootBytes = Data(base64Encoded: lines[2]), let root = TreeHash(bytes: rootBytes) else {
            throw NoteError.malformedCheckpoint("line 3 must be the base64 of a 32-byte root hash")
        }
        try self.init(origin: lines[0], size: size, root: root, extensions: Array(lines.dropFirst(3)))
    }

    /// The body text, newline-terminated.
    public var text: String {
        ([origin, String(size), Data(root.bytes).base64EncodedString()] + extensions).map { $0 + "\n" }.joined()
    }

    /// Signs the body, giving a signed note with one signature.
    /// - throws: what the signer throws.
    public func signed(by signer: NoteSigner) throws -> SignedNote {
        try SignedNote(text: text, signatures: [try signer.sign(noteText: text)])
    }
}
