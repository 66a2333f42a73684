import Attestation
import Crypto
import Foundation
import MerkleLog

extension Workspace {
    /// Reads a stored JSON artifact (a contract output) as a stream: `member` for each member but
    /// `arrayKey`, `element` for each element of that array, one at a time, so that an output over
    /// millions of records is never held whole. The digest is checked once every byte is read: a
    /// caller that wrote something from an altered artifact gets the error before it can use it.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the blob is missing, altered, or not JSON.
    public func streamArtifact(_ version: ArtifactVersion, streaming arrayKey: String, member: (String, JSONValue) throws -> Void,
                               element: ((JSONValue) throws -> Void)?) throws {
        try Workspace.stream(.file(objects.path(for: version.sha256)), sha256: version.sha256, label: "\(version.name) v\(version.version)",
                             streaming: arrayKey, member: member, element: element)
    }

    /// Streams JSON bytes from a source and checks them against `sha256` once read (nil: unchecked).
    public static func stream(_ source: JSONObjectStream.Source, sha256: String?, label: String, streaming arrayKey: String,
                              member: (String, JSONValue) throws -> Void, element: ((JSONValue) throws -> Void)?) throws {
        if case let .file(path) = source, !FileManager.default.fileExists(atPath: path) {
            throw WorkspaceError.ledgerInconsistent("the object for \(label) is missing")
        }
        let summary: HashingOutput.Summary
        do {
            summary = try JSONObjectStream(source, streaming: arrayKey).read(member: member, element: element)
        } catch let error as AttestationError {
            // Bytes that do not parse were most likely altered: say so when the digest differs.
            if let sha256, digest(of: source) != sha256 { throw WorkspaceError.ledgerInconsistent("the object for \(label) was altered") }
            throw WorkspaceError.ledgerInconsistent("the object for \(label) is not a JSON object as written: \(error)")
        } catch let error as HashingOutput.Failure {
            throw WorkspaceError.ledgerInconsistent("the object for \(label) cannot be read: \(error)")
        }
        if let sha256, summary.sha256 != sha256 { throw WorkspaceError.ledgerInconsistent("the object for \(label) was altered") }
    }

    private static func digest(of source: JSONObjectStream.Source) -> String? {
        switch source {
        case let .bytes(bytes): return Hex.encode(SHA256.hash(data: bytes))
        case let .file(path):
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            return Hex.encode(hasher.finalize())
        }
    }
}
