import Attestation
import Foundation
import MerkleLog

/// One ledger entry decoded for people (the explorer's ledger page, `log`): what kind of entry,
/// who signed it and with what meaning, when, and what it names.
public struct EntrySummary: Equatable, Sendable {
    public let index: UInt64
    public let leafHash: TreeHash
    /// The entry's kind for the trust policy (`ingest/consents`, `anchor`, `signature/approved`…),
    /// or `unknown` for bytes that are not a TrialChain attestation.
    public let kind: String
    /// The printed name and meaning of the Part 11 signature block, and its time.
    public let signer: String?
    public let meaning: String?
    public let signedAt: String?
    /// The first subjects (name and SHA-256), and how many there are in all (a stage manifest's count).
    public let subjects: [(name: String, sha256: String)]
    public let subjectCount: Int
    public let materialCount: Int
    public let byteCount: Int

    public static func == (lhs: EntrySummary, rhs: EntrySummary) -> Bool { lhs.index == rhs.index && lhs.leafHash == rhs.leafHash }

    /// Decodes an entry's bytes (never fails: what cannot be read is `unknown`).
    public init(index: UInt64, entry: [UInt8]) {
        self.index = index
        self.leafHash = RFC6962.leafHash(entry)
        self.byteCount = entry.count
        guard let statement = try? DSSEEnvelope(parsing: entry).statement() else {
            (kind, signer, meaning, signedAt, subjects, subjectCount, materialCount) = ("unknown", nil, nil, nil, [], 0, 0)
            return
        }
        let block = statement.predicate["signature"]
        kind = TrustPolicy.kind(of: statement)
        signer = block?["name"]?.stringValue
        meaning = block?["meaning"]?.stringValue
        signedAt = block?["signedAt"]?.stringValue
        subjects = statement.subjects.prefix(5).map { ($0.name, $0.sha256) }
        let manifest = statement.predicate["manifest"]
        subjectCount = manifest?["subjects"]?.integerValue.map(Int.init) ?? statement.subjects.count
        materialCount = manifest?["materials"]?.integerValue.map(Int.init) ?? statement.predicate["materials"]?.arrayValue?.count ?? 0
    }
}

extension Workspace {
    /// Up to `count` entries from `start`, decoded (entries past the latest checkpoint are not shown).
    public func entrySummaries(from start: UInt64, count: Int) throws -> [EntrySummary] {
        let size = try read { try $0.checkpoint() }.size
        guard start < size, count > 0 else { return [] }
        var summaries: [EntrySummary] = []
        try read { ledger in
            try ledger.forEachEntry(from: start, before: min(size, start + UInt64(count))) { entry in
                summaries.append(EntrySummary(index: entry.index, entry: entry.entry))
            }
        }
        return summaries
    }
}
