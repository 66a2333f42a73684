import Attestation
import MerkleLog

/// An input of a stage, by name and digest: a file, or an artifact of an earlier stage.
public struct StageMaterial: Equatable, Sendable {
    public let name: String
    public let sha256: String
    public init(name: String, sha256: String) {
        self.name = name
        self.sha256 = sha256
    }

    /// An earlier artifact version as a material: `name@vN` and its digest.
    public init(_ version: ArtifactVersion) {
        self.init(name: "\(version.name)@v\(version.version)", sha256: version.sha256)
    }
}

/// An input file that gives one artifact: the file the stage reads for it, and its digest.
/// `runStage` compares it with the source of the artifact's versions before anything runs, so a
/// stage never records as newest the content an earlier correction superseded.
public struct StageSource: Equatable, Sendable {
    /// The artifact the file gives, e.g. `measurements/site-102.csv`.
    public let artifact: String
    /// The file as named on the command line or in the pipeline.
    public let file: String
    /// The file's SHA-256 (hex).
    public let sha256: String
    public init(artifact: String, file: String, sha256: String) {
        self.artifact = artifact
        self.file = file
        self.sha256 = sha256
    }
}

/// What a stage is, before it runs: what the attestation will say about its inputs.
public struct StageDescription: Sendable {
    /// The stage's name in a pipeline (for a single command, the kind).
    public let stage: String
    /// What it does, e.g. `ingest/measurements`.
    public let kind: String
    /// Its inputs with their digests (files and earlier artifacts).
    public let materials: [StageMaterial]
    /// Its parameters (canonical JSON: the same parameters give the same bytes).
    public let parameters: JSONValue
    /// Why a new version of an already ingested artifact is being recorded.
    public let reason: String?
    /// The contract a contract stage evaluates (file name and digest), named in the attestation.
    public let contract: StageMaterial?
    /// The pipeline file that ran the stage, named in the attestation (not part of what makes a
    /// run "unchanged": editing another stage of the pipeline does not re-run this one).
    public let pipeline: StageMaterial?
    /// The outputs are computed from anchored artifacts (contracts, reports): a changed output is
    /// a new version without a stated reason, since the attestation names the inputs that changed.
    public let derived: Bool
    /// The input files and the artifacts they give (ingest stages), checked before the stage runs.
    public let sources: [StageSource]
    /// Told explicitly that a file whose content an earlier version superseded may become the
    /// newest version again (a deliberate revert; it still needs a reason).
    public let allowRevert: Bool

    public init(stage: String, kind: String, materials: [StageMaterial], parameters: JSONValue, reason: String? = nil,
                contract: StageMaterial? = nil, pipeline: StageMaterial? = nil, derived: Bool = false,
                sources: [StageSource] = [], allowRevert: Bool = false) {
        self.stage = stage
        self.kind = kind
        self.materials = materials.sorted { ($0.name, $0.sha256) < ($1.name, $1.sha256) }
        self.parameters = parameters
        self.reason = reason
        self.contract = contract
        self.pipeline = pipeline
        self.derived = derived
        self.sources = sources
        self.allowRevert = allowRevert
    }

    /// The same stage, run by a pipeline file.
    public func run(by pipeline: StageMaterial?, as stage: String?) -> StageDescription {
        StageDescription(stage: stage ?? self.stage, kind: kind, materials: materials, parameters: parameters, reason: reason,
                         contract: contract, pipeline: pipeline, derived: derived, sources: sources, allowRevert: allowRevert)
    }
}

/// An output of a stage: its bytes go to the object store, its digest into the attestation.
public struct StageArtifact {
    public let name: String
    /// The bytes, for an artifact held in memory (empty for one written to a file).
    public let bytes: [UInt8]
    /// An artifact written to a temporary file of the object store as it was produced (a
    /// contract output or report over millions of records): the stage moves the file into place.
    public let file: HashingOutput?
    /// Derived from other artifacts (an index, say): a changed version needs no `--reason`.
    public let derived: Bool
    public init(name: String, bytes: [UInt8], derived: Bool = false) {
        self.name = name
        self.bytes = bytes
        self.file = nil
        self.derived = derived
    }

    /// An artifact written to `file` (from `ObjectStore.newTemporaryOutput()`); finished by the stage.
    public init(name: String, file: HashingOutput, derived: Bool = false) {
        self.name = name
        self.bytes = []
        self.file = file
        self.derived = derived
    }
}

/// One accepted record.
public struct StageRecord: Sendable {
    public var artifact: String
    public var participant: String
    public var site: String?
    public var visit: String?
    public var item: String?
    public var value: String?
    public var unit: String?
    public var observedAt: String?
    public var sourceFile: String
    public var sourceLine: Int?
    /// The record's content (without the salt).
    public var content: JSONValue

    public init(artifact: String, participant: String, site: String? = nil, visit: String? = nil, item: String? = nil,
                value: String? = nil, unit: String? = nil, observedAt: String? = nil, sourceFile: String, sourceLine: Int? = nil,
                content: JSONValue) {
        self.artifact = artifact
        self.participant = participant
        self.site = site
        self.visit = visit
        self.item = item
        self.value = value
        self.unit = unit
        self.observedAt = observedAt
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.content = content
    }
}

/// One rejected input: where it is and why.
public struct StageReject: Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let field: String
    public let reason: String
    public let raw: String?

    public init(file: String, line: Int?, field: String, reason: String, raw: String? = nil) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        self.raw = raw
    }

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(field): \(reason)"
    }
}

/// A stored artifact version.
public struct ArtifactVersion: Equatable, Sendable {
    public let name: String
    public let version: Int
    public let sha256: String

    public init(name: String, version: Int, sha256: String) {
        self.name = name
        self.version = version
        self.sha256 = sha256
    }
}

/// An input file whose content differs from the current version of its artifact.
public struct StageCorrection: Equatable, Sendable {
    /// The artifact, e.g. `measurements/site-102.csv`.
    public let artifact: String
    /// The input file as given.
    public let file: String
    /// The artifact's current version, the stage run that created it and that run's reason.
    public let current: Int
    public let currentRun: Int64
    public let currentReason: String?
    /// Where the current version's source file is kept (object store path), when known.
    public let currentSource: String?
    /// The earlier, superseded version whose content the file has (a revert), if any.
    public let matches: Int?

    public init(artifact: String, file: String, current: Int, currentRun: Int64, currentReason: String?, currentSource: String?, matches: Int?) {
        self.artifact = artifact
        self.file = file
        self.current = current
        self.currentRun = currentRun
        self.currentReason = currentReason
        self.currentSource = currentSource
        self.matches = matches
    }
}

/// What running a stage did.
public enum StageOutcome: Equatable, Sendable {
    /// The same stage already ran on identical inputs and parameters: nothing was appended.
    case unchanged(entryIndex: UInt64)
    /// A new run was committed with its attestation and a new checkpoint.
    case committed(StageReceipt)
}

/// A committed stage run.
public struct StageReceipt: Equatable, Sendable {
    public let runID: Int64
    public let entryIndex: UInt64
    public let ledgerSize: UInt64
    public let recordCount: Int
    public let recordRoot: TreeHash
    public let rejectCount: Int
    /// Artifact versions this run created (an output identical to the latest version adds none).
    public let artifacts: [ArtifactVersion]
}

/// Why a stage was refused before or while it ran.
public enum StageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A different version of the artifact exists: corrections need a stated reason.
    case needsReason(artifact: String, version: Int, sha256: String)
    /// Input files whose content differs from the current version of their artifact, with no
    /// reason given; nothing ran.
    case correctionsNeedReason([StageCorrection])
    /// Input files whose content an earlier version had and a later correction superseded: the
    /// stage would undo that correction. Nothing ran.
    case wouldRevert([StageCorrection])
    /// More rejects than `--max-rejects` allows; nothing was stored.
    case tooManyRejects(count: Int, limit: Int, first: [StageReject])
    /// An input the stage depends on has not been ingested.
    case missingInput(String)

    public var description: String {
        switch self {
        case let .needsReason(artifact, version, sha256):
            return "\(artifact) was already ingested as version \(version) (sha256 \(sha256.prefix(12))…) with other content; to record a corrected version, say why with --reason TEXT (the old version stays)"
        case let .correctionsNeedReason(changes):
            let list = changes.map { "\($0.file) differs from \($0.artifact) v\($0.current) (ingested by stage run \($0.currentRun))" }
            return "\(list.joined(separator: "; ")): to record \(changes.count == 1 ? "it" : "them") as a new version, say why with "
                + "--reason TEXT (both `trialchain ingest` and `trialchain run` take it; the old version stays). Nothing was stored"
        case let .wouldRevert(changes):
            let list = changes.map { change in
                "\(change.file) has the content of \(change.artifact) v\(change.matches ?? 0), which v\(change.current) superseded "
                    + "(stage run \(change.currentRun)\(change.currentReason.map { ", reason: \"\($0)\"" } ?? ""))"
            }
            let current = changes.compactMap { change in change.currentSource.map { "\(change.artifact) v\(change.current): \($0)" } }
            return "\(list.joined(separator: "; ")). Recording it as newest would undo that correction, so nothing was stored. "
                + "Put the current version in place of the old file\(current.isEmpty ? "" : " (its bytes are in the object store: \(current.joined(separator: ", ")))")"
                + ", or, to go back deliberately, run again with --allow-revert and --reason TEXT"
        case let .tooManyRejects(count, limit, first):
            return "\(count) rejected rows exceed --max-rejects \(limit); nothing was stored. First rejects:\n  " + first.map(\.description).joined(separator: "\n  ")
        case let .missingInput(message):
            return message
        }
    }
}
