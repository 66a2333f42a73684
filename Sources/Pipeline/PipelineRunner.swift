import Contracts
import Foundation
import Ingest
import Reports
import Workspace

/// What one stage of a run did.
public struct StageResult: Sendable, Equatable {
    public let name: String
    public let kind: String
    public let outcome: StageOutcome
    /// Files a report stage wrote (absolute paths).
    public let files: [String]

    public init(name: String, kind: String, outcome: StageOutcome, files: [String] = []) {
        self.name = name
        self.kind = kind
        self.outcome = outcome
        self.files = files
    }
}

/// Runs a validated pipeline against a workspace: stages in dependency order, each in its own
/// transaction. Stages whose inputs and parameters are unchanged append nothing, so a run that
/// was killed resumes with the same command; the first failing stage stops the run with every
/// earlier stage committed and nothing of itself stored.
public struct PipelineRunner {
    let pipeline: PipelineFile
    let workspace: Workspace
    let reason: String?
    let allowRevert: Bool

    /// - parameters:
    ///   - reason: why changed input files are corrections (given on the command line for this
    ///     run; overrides a stage's `reason:`).
    ///   - allowRevert: let superseded content become current again (deliberately).
    public init(pipeline: PipelineFile, workspace: Workspace, reason: String? = nil, allowRevert: Bool = false) {
        self.pipeline = pipeline
        self.workspace = workspace
        self.reason = reason
        self.allowRevert = allowRevert
    }

    /// Opens the workspace at `root`, or creates it from the pipeline's trial and origin.
    /// - throws: `PipelineError.invalid` when the workspace belongs to another trial.
    public static func workspace(at root: URL, for pipeline: PipelineFile) throws -> Workspace {
        if FileManager.default.fileExists(atPath: WorkspaceLayout(root: root).database.path) {
            let workspace = try Workspace.open(at: root)
            guard workspace.trialID == pipeline.trial else {
                throw PipelineError.invalid(file: pipeline.path, line: 1, key: "trial",
                                            message: "the workspace at \(root.path) is trial \(workspace.trialID), not \(pipeline.trial)")
            }
            return workspace
        }
        do {
            return try Workspace.create(at: root, trialID: pipeline.trial, origin: pipeline.origin)
        } catch WorkspaceError.alreadyExists where FileManager.default.fileExists(atPath: WorkspaceLayout(root: root).database.path) {
            // Another run created it at the same moment: use that one.
            return try workspace(at: root, for: pipeline)
        }
    }

    /// Runs every stage.
    /// - parameters:
    ///   - onStage: called before each stage with its position (1-based), the total and the stage.
    ///   - onRows: called with rows done while a measurement stage streams.
    /// - returns: one result per stage.
    /// - throws: `PipelineError.stageFailed` naming the stage and the reason.
    public func run(onStage: ((Int, Int, PipelineFile.Stage) -> Void)? = nil,
                    onRows: ((Int, String) -> Void)? = nil) throws -> [StageResult] {
        let ingestor = Ingestor(workspace: workspace)
        let material = StageMaterial(name: pipeline.path, sha256: pipeline.sha256)
        var results: [StageResult] = []
        for (offset, stage) in pipeline.stages.enumerated() {
            onStage?(offset + 1, pipeline.stages.count, stage)
            do {
                var written: [String] = []
                let outcome: StageOutcome
                switch stage.kind {
                case "contract":
                    outcome = try ContractRunner(workspace: workspace).run(stage.contract!, stage: stage.name, pipeline: material)
                case "report":
                    let contracts = pipeline.stages.filter { stage.reportOf.contains($0.name) }.compactMap(\.contract)
                    let versions = try contracts.map { contract in
                        guard let version = try workspace.latestArtifact(contract.artifactName) else {
                            throw ReportError.noContractOutput("contract \(contract.name) has no output yet")
                        }
                        return version
                    }
                    let (reportOutcome, reports) = try ReportRunner(workspace: workspace).run(versions, formats: stage.formats, stage: stage.name, pipeline: material)
                    outcome = reportOutcome
                    written = try ReportRunner.write(reports, under: workspace.layout.root.appendingPathComponent("reports")).map(\.path)
                default:
                    let files = try stage.inputs.map { try InputFile(url: pipeline.root.appendingPathComponent($0), name: $0, root: pipeline.root) }
                    let layout = try stage.redcap.map(MeasurementLayout.init(redcap:)) ?? stage.map.map(MeasurementLayout.init(mapping:)) ?? MeasurementLayout()
                    var options = IngestOptions(reason: reason ?? stage.reason, maxRejects: stage.maxRejects, layout: layout,
                                                stage: stage.name, pipeline: material, allowRevert: allowRevert)
                    options.approvedFormVersions = stage.approvedFormVersions
                    switch stage.kind {
                    case "ingest/protocol": outcome = try ingestor.ingestProtocol(files[0], options: options)
                    case "ingest/consents": outcome = try ingestor.ingestConsents(files, options: options)
                    default: outcome = try ingestor.ingestMeasurements(files, options: options, progress: onRows)
                    }
                }
                results.append(StageResult(name: stage.name, kind: stage.kind, outcome: outcome, files: written))
            } catch {
                throw PipelineError.stageFailed(stage: stage.name, position: offset + 1, of: pipeline.stages.count, reason: "\(error)")
            }
        }
        return results
    }
}
