import Attestation
import Foundation
import Workspace

/// Why a report could not be made.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No contract output to report on.
    case noContractOutput(String)
    /// The report could not be written where asked.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .noContractOutput(message): return message
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Renders reports from anchored contract outputs and anchors them as a stage: the report files'
/// digests go into the ledger, and the same artifact always renders to the same bytes.
public struct ReportRunner {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// Renders one contract artifact version in one format: a pure function of the artifact bytes.
    public static func render(_ bytes: [UInt8], context: ReportContext, format: ReportFormat) throws -> [UInt8] {
        try render(try JSONValue.parse(bytes), context: context, format: format)
    }

    /// Renders a parsed contract output (parse once, render every format).
    public static func render(_ output: JSONValue, context: ReportContext, format: ReportFormat) throws -> [UInt8] {
        switch output["contract"]?["type"]?.stringValue {
        case "payouts": return PayoutReport.render(output, context, format)
        case "adherence": return AdherenceReport.render(output, context, format)
        default: throw ReportError.noContractOutput("\(context.artifact) v\(context.version) is not a contract output")
        }
    }

    /// The latest outputs of contracts of a type (`payouts`, `adherence`), optionally one contract by name.
    /// - throws: `ReportError.noContractOutput` when no such contract has run.
    public func contractOutputs(type: String, name: String? = nil) throws -> [ArtifactVersion] {
        let versions = try workspace.latestArtifacts(prefix: "\(type)/").filter { name == nil || $0.name == "\(type)/\(name!)" }
        guard !versions.isEmpty else {
            throw ReportError.noContractOutput(name.map { "no \(type) contract named \($0) has run in this workspace" }
                ?? "no \(type) contract has run in this workspace: run the pipeline (or a contract stage) first")
        }
        return versions
    }

    /// Renders and anchors reports of contract outputs as one stage.
    /// - returns: the stage outcome and the rendered reports.
    public func run(_ versions: [ArtifactVersion], formats: [ReportFormat], stage: String? = nil,
                    pipeline: StageMaterial? = nil) throws -> (StageOutcome, [RenderedReport]) {
        var reports: [RenderedReport] = []
        for version in versions {
            let output = try JSONValue.parse(try workspace.artifactBytes(version))
            let context = try ReportContext.of(version, in: workspace)
            for format in formats {
                reports.append(RenderedReport(name: "reports/\(version.name).\(format.fileExtension)", format: format,
                                              bytes: try ReportRunner.render(output, context: context, format: format)))
            }
        }
        let description = StageDescription(
            stage: stage ?? "report", kind: "report",
            materials: versions.map(StageMaterial.init),
            parameters: ["formats": .array(formats.map { .string($0.rawValue) })], pipeline: pipeline, derived: true)
        let outcome = try workspace.runStage(description) { _ in reports.map { StageArtifact(name: $0.name, bytes: $0.bytes) } }
        return (outcome, reports)
    }

    /// Writes reports under a folder (`<folder>/<type>/<contract>.<ext>`), each atomically.
    /// - returns: the paths written.
    @discardableResult
    public static func write(_ reports: [RenderedReport], under folder: URL) throws -> [URL] {
        try reports.map { report in
            let url = folder.appendingPathComponent(String(report.name.dropFirst("reports/".count)))
            try write(report.bytes, to: url)
            return url
        }
    }

    /// Writes bytes to a file atomically (a temporary file renamed into place).
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw ReportError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}
