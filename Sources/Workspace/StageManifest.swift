import Attestation
import Crypto
import Foundation
import MerkleLog

/// Keeps every stage attestation small, whatever the number of files a stage reads or writes.
///
/// C2SP tlog-tiles entry bundles carry each entry behind a 16-bit length, and monitors download
/// every entry, so a ledger entry stays well under 64 KiB. A stage's statement grows with its
/// files (a subject per artifact, a material per input, an artifact version per new version):
/// past `inlineLimit` bytes, those three lists move into a manifest, a canonical JSON blob in the
/// object store, and the statement signs the manifest's digest as its one subject instead. The
/// manifest binds the lists exactly as the inline statement would (the signature covers its
/// digest), and every reader sees the same statement through `expand`.
public enum StageManifest {
    /// The statement size past which a stage signs a manifest (its DSSE entry stays under 40 KiB).
    public static let inlineLimit = 24 * 1024
    /// The subject name of a manifest.
    public static let subjectName = "stage-manifest.json"

    /// The statement to sign for a stage, and the manifest's bytes to store when it needs one.
    static func statement(subjects: [InTotoStatement.Subject], predicate: [String: JSONValue], predicateType: String) -> (InTotoStatement, manifest: [UInt8]?) {
        let inline = InTotoStatement(subjects: subjects, predicateType: predicateType, predicate: .object(predicate))
        guard inline.canonicalBytes.count > inlineLimit else { return (inline, nil) }
        let materials = predicate["materials"] ?? .array([]), versions = predicate["artifactVersions"] ?? .array([])
        let manifest = CanonicalJSON.encode([
            "subjects": .array(subjects.map { ["name": .string($0.name), "digest": ["sha256": .string($0.sha256)]] }),
            "materials": materials, "artifactVersions": versions,
        ])
        let digest = Hex.encode(SHA256.hash(data: manifest))
        var small = predicate
        small["materials"] = nil
        small["artifactVersions"] = nil
        small["manifest"] = ["sha256": .string(digest), "subjects": .integer(Int64(subjects.count)),
                             "materials": .integer(Int64(materials.arrayValue?.count ?? 0)), "artifactVersions": .integer(Int64(versions.arrayValue?.count ?? 0))]
        return (InTotoStatement(subjects: [.init(name: subjectName, sha256: digest)], predicateType: predicateType, predicate: .object(small)), manifest)
    }

    /// The statement as if it were inline: the manifest's subjects (then the manifest itself, a
    /// blob the stage stored), materials and artifact versions restored. An inline statement is
    /// returned as it is.
    /// - throws: `IntegrityFailure.objectMissing` or `.objectAltered` for the manifest's blob,
    ///   `.attestationInvalid` for a manifest that does not match the statement.
    public static func expand(_ statement: InTotoStatement, index: UInt64, objects: ObjectStore) throws -> InTotoStatement {
        guard case var .object(predicate) = statement.predicate, let manifest = predicate["manifest"] else { return statement }
        func fail(_ reason: String) -> IntegrityFailure { .attestationInvalid(index: index, reason: "its stage manifest: \(reason)") }
        guard let digest = manifest["sha256"]?.stringValue, statement.subjects == [.init(name: subjectName, sha256: digest)] else {
            throw fail("the statement must sign exactly the manifest it names")
        }
        let name = "the stage manifest of entry \(index)"
        guard let data = FileManager.default.contents(atPath: objects.path(for: digest)) else { throw IntegrityFailure.objectMissing(name: name, sha256: digest) }
        guard Hex.encode(SHA256.hash(data: data)) == digest else { throw IntegrityFailure.objectAltered(name: name, sha256: digest) }
        guard let value = try? JSONValue.parse(data), let subjects = value["subjects"]?.arrayValue,
              let materials = value["materials"]?.arrayValue, let versions = value["artifactVersions"]?.arrayValue,
              Int64(subjects.count) == manifest["subjects"]?.integerValue, Int64(materials.count) == manifest["materials"]?.integerValue,
              Int64(versions.count) == manifest["artifactVersions"]?.integerValue else {
            throw fail("not a manifest of the counts the statement signs")
        }
        let expanded = try subjects.map { subject -> InTotoStatement.Subject in
            guard let name = subject["name"]?.stringValue, let sha256 = subject["digest"]?["sha256"]?.stringValue else { throw fail("a subject without name or digest") }
            return .init(name: name, sha256: sha256)
        }
        predicate["materials"] = .array(materials)
        predicate["artifactVersions"] = .array(versions)
        return InTotoStatement(subjects: expanded + statement.subjects, predicateType: statement.predicateType, predicate: .object(predicate))
    }
}

extension Workspace {
    /// A stage statement as if inline (see `StageManifest`).
    public func expanded(_ statement: InTotoStatement, index: UInt64) throws -> InTotoStatement {
        try StageManifest.expand(statement, index: index, objects: objects)
    }
}
