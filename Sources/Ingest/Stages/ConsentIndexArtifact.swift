import Attestation
import Crypto
import MerkleLog
import Workspace

/// The `consent-index` artifact: the consent artifacts current after a consents run (name and
/// digest of each) and the consent period they give each participant.
///
/// The consents stage writes a new version whenever a run changes a consent artifact. Later
/// stages name this one artifact as their consent material, instead of every consent file (with
/// one file per participant that list grew with the trial: a 21 MB attestation per measurement
/// run at 128,000 participants), and the measurement stage reads the periods from it instead of
/// parsing every consent artifact. It is derived, so it never needs a `--reason`, and
/// `verify --reexecute` derives it again from the consent artifacts and compares the bytes.
///
/// Bytes (RFC 8785): `{"consents":[{"name":…,"sha256":…},…],"participants":[{"from":…,"participant":…[,"until":…]},…]}`,
/// consents sorted by name, participants by id (UTF-8 byte order). Both are arrays so that an
/// erasure redacts the erased participant's elements (to `{"erased":true}`) and keeps the rest
/// readable. A consent artifact an erasure destroyed adds no period; one it redacted adds what is left.
public enum ConsentIndexArtifact {
    /// The artifact's name.
    public static let name = "consent-index"
    /// The prefix of the consent artifacts it indexes.
    public static let consentPrefix = "consents/"

    /// The artifact's bytes for a set of consent artifacts.
    /// - parameter consents: each consent artifact's name, digest and content (the JSON the
    ///   consents stage writes), in any order.
    /// - parameter consents: each consent artifact's name, digest and content (the JSON the
    ///   consents stage writes, or nil when an erasure destroyed it), in any order.
    public static func encode(consents: [(name: String, sha256: String, content: JSONValue?)]) -> [UInt8] {
        var index = ConsentIndex()
        for consent in consents { if let content = consent.content { index.add(artifact: content) } }
        return encode(listed: consents.map { ($0.name, $0.sha256) }, index: index)
    }

    /// The artifact's bytes from the consent artifacts' names and digests and the index their
    /// contents were folded into one at a time (a stage of 100,000 consent files keeps the index,
    /// not the files).
    public static func encode(listed consents: [(name: String, sha256: String)], index: ConsentIndex) -> [UInt8] {
        let listed = consents.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { JSONValue.object(["name": .string($0.name), "sha256": .string($0.sha256)]) }
        let participants = index.periods.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { participant, period in
            var entry: [String: JSONValue] = ["participant": .string(participant), "from": .string(period.from.description)]
            if let until = period.until { entry["until"] = .string(until.description) }
            return JSONValue.object(entry)
        }
        return CanonicalJSON.encode(["consents": .array(listed), "participants": .array(participants)])
    }

    /// Derives the artifact from stored consent artifact versions, reading each as it can be read
    /// now (after an erasure, its redacted copy).
    /// - throws: `WorkspaceError` for a missing or altered artifact blob; `JSONError` for one that is not JSON.
    public static func derive(from versions: [ArtifactVersion], in workspace: Workspace) throws -> [UInt8] {
        var index = ConsentIndex()
        for version in versions {
            if let bytes = try workspace.readableArtifactBytes(version) { index.add(artifact: try JSONValue.parse(bytes)) }
        }
        return encode(listed: versions.map { ($0.name, $0.sha256) }, index: index)
    }

    /// The consent periods an index artifact holds.
    /// - throws: `WorkspaceError.ledgerInconsistent` when the bytes are not a consent index.
    public static func periods(of bytes: [UInt8]) throws -> ConsentIndex {
        guard let participants = (try? JSONValue.parse(bytes))?["participants"]?.arrayValue else {
            throw WorkspaceError.ledgerInconsistent("the \(name) artifact is not a consent index")
        }
        var index = ConsentIndex()
        for period in participants {
            if period["erased"] == .bool(true) { continue }
            guard let participant = period["participant"]?.stringValue, let from = period["from"]?.stringValue.flatMap(TrialTime.init) else {
                throw WorkspaceError.ledgerInconsistent("the \(name) artifact has a participant without a valid id or start")
            }
            index.add(participant: participant, start: from, end: period["until"]?.stringValue.flatMap(TrialTime.init))
        }
        return index
    }

    /// What a stage that checks data against consent names as its consent materials: the latest
    /// index, or in a workspace whose consents were all ingested before the index existed, every
    /// consent artifact version.
    public static func materials(in workspace: Workspace) throws -> [StageMaterial] {
        if let index = try workspace.latestArtifact(name) {
            return [StageMaterial(index)]
        }
        return try workspace.latestArtifacts(prefix: consentPrefix).map(StageMaterial.init)
    }

    /// The consent periods as anchored now, with the materials that name them.
    public static func current(in workspace: Workspace) throws -> (periods: ConsentIndex, materials: [StageMaterial]) {
        if let index = try workspace.latestArtifact(name) {
            // An erasure that destroyed the index leaves no consent to check against: nothing is accepted.
            let bytes = try workspace.readableArtifactBytes(index)
            return (try bytes.map(periods(of:)) ?? ConsentIndex(), [StageMaterial(index)])
        }
        var periods = ConsentIndex()
        let versions = try workspace.latestArtifacts(prefix: consentPrefix)
        for version in versions {
            if let bytes = try workspace.readableArtifactBytes(version) { periods.add(artifact: try JSONValue.parse(bytes)) }
        }
        return (periods, versions.map(StageMaterial.init))
    }

    /// The digest of artifact bytes, lowercase hex.
    static func digest(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }
}
