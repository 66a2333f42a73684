import Attestation
import Crypto
import Foundation
import MerkleLog
import Workspace

/// Options every ingest stage takes.
public struct IngestOptions: Sendable {
    /// Why a corrected input is recorded as a new version of an artifact already ingested.
    public var reason: String?
    /// Fail the whole stage beyond this many rejects.
    public var maxRejects: Int?
    /// The measurement CSV layout.
    public var layout: MeasurementLayout
    /// The stage's name in a pipeline (default: the kind's short name).
    public var stage: String?
    /// The pipeline file that runs the stage, named in its attestation.
    public var pipeline: StageMaterial?
    /// Told explicitly: a file whose content an earlier version superseded may become the newest
    /// version again (a deliberate revert, with a reason).
    public var allowRevert: Bool
    /// Consent form versions the stage approves, for a protocol that declares none (a REDCap
    /// project, say); recorded in the attestation.
    public var approvedFormVersions: [String] = []
    /// Site-signed submissions covering the measurement files (`ingest measurements --submission`):
    /// checked against the trust policy, stored, and named among the stage's materials; a row of
    /// another site than its file's submission is rejected.
    public var submissions: [Submission] = []

    public init(reason: String? = nil, maxRejects: Int? = nil, layout: MeasurementLayout = try! MeasurementLayout(),
                stage: String? = nil, pipeline: StageMaterial? = nil, allowRevert: Bool = false) {
        self.allowRevert = allowRevert
        self.reason = reason
        self.maxRejects = maxRejects
        self.layout = layout
        self.stage = stage
        self.pipeline = pipeline
    }
}

/// Runs the three ingest stages against a workspace. Each validates everything it reads, then
/// commits its artifacts, records, rejects, attestation and checkpoint in one transaction.
public struct Ingestor {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    // MARK: Protocol

    /// Ingests a protocol (CDISC ODM 1.3.x). The artifact `protocol` is its model as canonical JSON.
    /// - throws: `ProtocolError` (file, line, element) before anything is written; `StageError`.
    public func ingestProtocol(_ file: InputFile, options: IngestOptions = IngestOptions()) throws -> StageOutcome {
        let model = try ODMProtocolReader().read(url: file.url, displayName: file.name)
        let description = StageDescription(stage: "protocol", kind: "ingest/protocol", materials: [file.material],
                                           parameters: ["schema": "CDISC ODM 1.3.2 + https://trialchain.dev/ns/odm/v1"], reason: options.reason,
                                           allowRevert: options.allowRevert)
            .run(by: options.pipeline, as: options.stage)
        return try workspace.runStage(description, maxRejects: options.maxRejects) { writer in
            try Ingestor.keepSources([file], writer)
            return [StageArtifact(name: "protocol", bytes: CanonicalJSON.encode(model.json))]
        }
    }

    /// The latest ingested protocol.
    /// - throws: `StageError.missingInput` when none was ingested.
    public func currentProtocol() throws -> (TrialProtocol, ArtifactVersion) {
        guard let version = try workspace.latestArtifact("protocol") else {
            throw StageError.missingInput("no protocol has been ingested yet: run `trialchain ingest protocol FILE` first")
        }
        guard let model = TrialProtocol(json: try JSONValue.parse(try workspace.artifactBytes(version))) else {
            throw StageError.missingInput("the stored protocol artifact v\(version.version) cannot be read")
        }
        return (model, version)
    }

    // MARK: Consents

    /// Ingests FHIR Consent files. Each file gives the artifact `consents/<file name>`; each
    /// accepted consent is a record; its signed document goes to the object store.
    /// - throws: `ConsentError` for a file that is not JSON or not a Consent/Bundle; `StageError`.
    public func ingestConsents(_ files: [InputFile], options: IngestOptions = IngestOptions()) throws -> StageOutcome {
        let (model, protocolVersion) = try currentProtocol()
        let sorted = files.sorted { $0.name < $1.name }
        if !options.approvedFormVersions.isEmpty, !model.approvedConsentVersions.isEmpty {
            throw StageError.missingInput("the protocol approves consent forms \(model.approvedConsentVersions.joined(separator: ", ")) itself: a stage cannot approve others (leave out --approve-form-version)")
        }
        let approvedList = model.approvedConsentVersions.isEmpty ? options.approvedFormVersions.sorted() : model.approvedConsentVersions
        let approved = Set(approvedList)
        let description = StageDescription(
            stage: "consents", kind: "ingest/consents",
            materials: sorted.map(\.material) + [StageMaterial(protocolVersion)],
            parameters: ["approvedConsentVersions": .array(approvedList.map(JSONValue.string))], reason: options.reason,
            sources: sorted.map { StageSource(artifact: "consents/\($0.baseName)", file: $0.name, sha256: $0.sha256) }, allowRevert: options.allowRevert)
            .run(by: options.pipeline, as: options.stage)
        return try workspace.runStage(description, maxRejects: options.maxRejects) { writer in
            try Ingestor.keepSources(sorted, writer)
            var artifacts: [StageArtifact] = []
            // The consent index is folded as files go: only each artifact's name and digest stay.
            var current: [String: String] = [:]
            var index = ConsentIndex()
            // One file at a time inside the transaction: memory stays flat, and a file that is not
            // JSON or not a Consent rolls the whole stage back.
            for file in sorted {
                // A FHIR Consent (JSON) or a consent register (CSV) from an EDC: the same consents.
                let (consents, rejects) = file.url.pathExtension.lowercased() == "csv"
                    ? try ConsentRegisterReader().read(url: file.url, displayName: file.name)
                    : try ConsentReader().read(url: file.url, displayName: file.name)
                for reject in rejects {
                    try writer.reject(StageReject(file: reject.file, line: reject.line, field: Ingestor.entryField(reject.entry, reject.field), reason: reject.reason))
                }
                var accepted: [JSONValue] = []
                for consent in consents {
                    // A register row's fields are its columns; a FHIR resource's, its paths.
                    let registerColumns = ["extension(consent-form-version)": "form_version", "sourceAttachment.url": "document", "sourceAttachment.hash": "document_sha256"]
                    let field = { (name: String) in consent.line != nil ? registerColumns[name] ?? name : Ingestor.entryField(consent.entry, name) }
                    if !approved.contains(consent.formVersion) {
                        try writer.reject(StageReject(file: consent.file, line: consent.line, field: field("extension(consent-form-version)"),
                            reason: "consent form version \(consent.formVersion) is not approved by the protocol (approved: \(approvedList.isEmpty ? "none: a protocol without tc:ConsentForms, such as a REDCap export, needs --approve-form-version" : approvedList.joined(separator: ", ")))"))
                        continue
                    }
                    if !["active", "inactive"].contains(consent.status) {
                        try writer.reject(StageReject(file: consent.file, line: consent.line, field: field("status"),
                                                      reason: "status \(consent.status) does not record a consent (expected active, or inactive for a withdrawal)"))
                        continue
                    }
                    let folder = (file.url.path as NSString).deletingLastPathComponent
                    if let problem = InputPath.problem(consent.documentPath, within: folder) {
                        try writer.reject(StageReject(file: consent.file, line: consent.line, field: field("sourceAttachment.url"),
                                                      reason: "the signed document is refused: \(problem)"))
                        continue
                    }
                    guard FileManager.default.fileExists(atPath: consent.documentPath) else {
                        try writer.reject(StageReject(file: consent.file, line: consent.line, field: field("sourceAttachment.url"),
                                                      reason: "the signed document \(consent.documentPath) does not exist"))
                        continue
                    }
                    if let expected = consent.documentSHA1 {
                        let actual = Array(Insecure.SHA1.hash(data: try Data(contentsOf: URL(fileURLWithPath: consent.documentPath))))
                        guard actual == expected else {
                            try writer.reject(StageReject(file: consent.file, line: consent.line, field: field("sourceAttachment.hash"),
                                                          reason: "the signed document's SHA-1 does not match Attachment.hash: the document was changed or replaced"))
                            continue
                        }
                    }
                    if let expected = consent.documentSHA256 {
                        let actual = Array(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: consent.documentPath))))
                        guard actual == expected else {
                            try writer.reject(StageReject(file: consent.file, line: consent.line, field: "document_sha256",
                                                          reason: "the signed document's SHA-256 does not match document_sha256: the document was changed or replaced"))
                            continue
                        }
                    }
                    let document = try writer.storeDocument(at: URL(fileURLWithPath: consent.documentPath))
                    let content: JSONValue = [
                        "kind": "consent", "participant": .string(consent.participant), "formVersion": .string(consent.formVersion),
                        "status": .string(consent.status), "signedAt": .string(consent.signedAt.description),
                        "periodStart": .string(consent.periodStart.description),
                        "periodEnd": consent.periodEnd.map { .string($0.description) } ?? .null,
                        "document": ["sha256": .string(document.sha256), "byteCount": .integer(document.byteCount)],
                        "resourceID": .string(consent.resourceID),
                    ]
                    try writer.add(StageRecord(artifact: "consents/\(file.baseName)", participant: consent.participant,
                                               observedAt: consent.signedAt.description, sourceFile: consent.file, content: content))
                    accepted.append(content)
                }
                let artifact: JSONValue = ["source": ["name": .string(file.name), "sha256": .string(file.sha256)], "consents": .array(accepted)]
                let bytes = CanonicalJSON.encode(artifact)
                artifacts.append(StageArtifact(name: "consents/\(file.baseName)", bytes: bytes))
                current[artifacts.last!.name] = ConsentIndexArtifact.digest(bytes)
                index.add(artifact: artifact)
            }
            // The consent index over every consent artifact current after this run.
            for version in try writer.latest(prefix: ConsentIndexArtifact.consentPrefix) where current[version.name] == nil {
                current[version.name] = version.sha256
                if let bytes = try writer.readableArtifactBytes(version) { index.add(artifact: try JSONValue.parse(bytes)) }
            }
            artifacts.append(StageArtifact(name: ConsentIndexArtifact.name, bytes: ConsentIndexArtifact.encode(
                listed: current.map { (name: $0.key, sha256: $0.value) }, index: index), derived: true))
            return artifacts
        }
    }

    /// Input files go to the object store too, so an auditor can re-run the stage from the workspace.
    static func keepSources(_ files: [InputFile], _ writer: StageWriter) throws {
        for file in files {
            let stored = try writer.storeDocument(at: file.url)
            guard stored.sha256 == file.sha256 else {
                throw WorkspaceError.unreadableFile(path: file.name, reason: "the file changed while it was being ingested")
            }
        }
    }

    static func entryField(_ entry: Int?, _ field: String) -> String {
        guard let entry else { return field }
        return field.hasPrefix("entry[") ? field : "entry[\(entry)].\(field)"
    }

    // MARK: Measurements

    /// Ingests measurement CSVs (streamed). Each row is checked against the protocol and the
    /// participants' consents; good rows become records, bad ones rejects with file, line, field
    /// and reason. Each file gives the artifact `measurements/<file name>`.
    /// - parameter progress: called with (rows done, file name) every 64k rows.
    /// - throws: `CSVError` or `MeasurementError` for a file that cannot be read as a whole;
    ///   `StageError`.
    public func ingestMeasurements(_ files: [InputFile], options: IngestOptions = IngestOptions(),
                                   progress: ((Int, String) -> Void)? = nil) throws -> StageOutcome {
        let (model, protocolVersion) = try currentProtocol()
        let (consents, consentMaterials) = try ConsentIndexArtifact.current(in: workspace)
        let validator = MeasurementValidator(model)
        let sorted = files.sorted { $0.name < $1.name }
        let layout = options.layout
        let sites = try Ingestor.submittedSites(sorted, options: options, workspace: workspace)
        let description = StageDescription(
            stage: "measurements", kind: "ingest/measurements",
            materials: sorted.map(\.material) + [StageMaterial(protocolVersion)]
                + consentMaterials + options.submissions.map { StageMaterial(name: $0.materialName, sha256: $0.sha256) },
            parameters: layout.redcap.map { ["layout": "redcap", "redcap": $0.parameters] } ?? ["columns": .object(layout.columns.mapValues(JSONValue.string))],
            reason: options.reason,
            sources: sorted.map { StageSource(artifact: "measurements/\($0.baseName)", file: $0.name, sha256: $0.sha256) }, allowRevert: options.allowRevert)
            .run(by: options.pipeline, as: options.stage)
        return try workspace.runStage(description, maxRejects: options.maxRejects) { writer in
            // Two threads: this one stores, a reader thread parses, checks and hashes ahead.
            let channel = BatchChannel<PreparedChunk>(capacity: 4)
            let preparer = MeasurementPreparer(files: sorted, layout: layout, validator: validator, consents: consents, sites: sites,
                                               copyingInto: workspace.objects)
            let participants = try MeasurementPreparer.participants(storedBy: writer, consents: consents)
            let reader = Thread { preparer.run(participants: participants, into: channel) }
            reader.name = "trialchain.measurements.reader"
            reader.start()
            defer {
                channel.cancel()
                channel.waitUntilFinished()
            }
            // The reader copies each source into the store from the very bytes it parses, and
            // fails the stage if they are not the bytes hashed for the attestation.
            for submission in options.submissions { _ = try writer.storeDocument(bytes: submission.bytes) }
            let names = sorted.map { (artifact: "measurements/\($0.baseName)", sourceFile: $0.name) }
            var artifacts: [StageArtifact] = []
            var rows = 0, reported = 0
            var warnings: [Int: [JSONValue]] = [:]
            while let chunks = try channel.receive() {
                for chunk in chunks {
                    try writer.add(chunk.batch, files: names)
                    for reject in chunk.rejects { try writer.reject(reject) }
                    for warning in chunk.warnings {
                        warnings[warning.file, default: []].append(["line": .integer(Int64(warning.line)), "field": .string(warning.field), "reason": .string(warning.reason)])
                    }
                    rows += chunk.batch.count + chunk.rejects.count
                    for (index, records, rejects, copy) in chunk.finishedFiles {
                        let file = sorted[index]
                        _ = try writer.storeDocument(copy.output)
                        var artifact: [String: JSONValue] = [
                            "source": ["name": .string(file.name), "sha256": .string(file.sha256)],
                            "records": .integer(Int64(records)), "rejects": .integer(Int64(rejects)),
                            "protocol": .string(protocolVersion.sha256),
                        ]
                        // Accepted values that fail a soft range check, flagged for review (signed with the file's artifact).
                        if let flagged = warnings.removeValue(forKey: index) { artifact["flagged"] = .array(flagged) }
                        artifacts.append(StageArtifact(name: names[index].artifact, bytes: CanonicalJSON.encode(.object(artifact))))
                    }
                    if rows - reported >= 1 << 16, artifacts.count < sorted.count {
                        reported = rows
                        progress?(rows, sorted[artifacts.count].name)
                    }
                }
            }
            return artifacts
        }
    }

    /// The site each file was submitted for (by its index among `files`), after checking every
    /// submission against the trust policy in force; none without submissions, unless the
    /// policy requires them.
    /// - throws: `SubmissionError` for a submission that may not be used or a file it does not
    ///   cover; `WorkspaceError.trustPolicy` when the policy requires submissions and there are none.
    static func submittedSites(_ files: [InputFile], options: IngestOptions, workspace: Workspace) throws -> [Int: [UInt8]] {
        let policy = try workspace.trustPolicy()
        guard !options.submissions.isEmpty else {
            if policy.requireSubmissions {
                throw WorkspaceError.trustPolicy(file: "the trust policy in force",
                    reason: "it requires site-signed submissions: ingest measurements with --submission FILE (`trialchain submit` makes one)")
            }
            return [:]
        }
        var sites: [Int: [UInt8]] = [:]
        for submission in options.submissions {
            let name = "submission for site \(submission.site)"
            try submission.check(trial: workspace.trialID, stageKind: "ingest/measurements", policy: policy, file: name)
        }
        for (index, file) in files.enumerated() {
            guard let submission = options.submissions.first(where: { $0.files.contains { $0.sha256 == file.sha256 } }) else {
                throw SubmissionError.fileMismatch(file: "the submissions", name: file.name, reason: "no submission covers this file: its bytes are not the ones a site signed")
            }
            guard file.url.pathExtension.lowercased() == "csv", options.layout.redcap == nil else {
                throw SubmissionError.fileMismatch(file: "submission for site \(submission.site)", name: file.name, reason: "submissions cover measurement CSV files in the long layout")
            }
            sites[index] = Array(submission.site.utf8)
        }
        return sites
    }
}
