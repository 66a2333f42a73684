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

    /// Renders contract output bytes in one format, in memory: a pure function of the bytes.
    public static func render(_ bytes: [UInt8], context: ReportContext, format: ReportFormat) throws -> [UInt8] {
        let out = HashingOutput()
        try render(.bytes(bytes), context: context, format: format, into: out)
        return out.bytes
    }

    /// Renders a contract output in one format as it reads it (participant by participant) and
    /// writes as it goes: memory does not grow with the output.
    /// - throws: `ReportError.noContractOutput` for bytes that are not a contract output,
    ///   `WorkspaceError.ledgerInconsistent` for a stored output that is missing or altered.
    public static func render(_ output: ContractOutputSource, context: ReportContext, format: ReportFormat, into out: HashingOutput) throws {
        let members = try output.members()
        switch members["contract"]?["type"]?.stringValue {
        case "payouts": try PayoutReport.render(output, members, context, format, into: out)
        case "adherence": try AdherenceReport.render(output, members, context, format, into: out)
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

    /// Renders and anchors reports of contract outputs as one stage; each report is written to a
    /// temporary file of the object store as it is rendered, and moved into place by the stage.
    /// - returns: the stage outcome and the rendered reports.
    public func run(_ versions: [ArtifactVersion], formats: [ReportFormat], stage: String? = nil,
                    pipeline: StageMaterial? = nil) throws -> (StageOutcome, [RenderedReport]) {
        var reports: [RenderedReport] = []
        for version in versions {
            let context = try ReportContext.of(version, in: workspace)
            for format in formats {
                let file = try workspace.objects.newTemporaryOutput()
                try ReportRunner.render(.stored(version, in: workspace), context: context, format: format, into: file)
                let summary: HashingOutput.Summary
                do { summary = try file.finish() } catch { throw WorkspaceError.storage("\(error)") }
                reports.append(RenderedReport(name: "reports/\(version.name).\(format.fileExtension)", format: format, sha256: summary.sha256,
                                              byteCount: summary.byteCount, file: file, objects: workspace.objects))
            }
        }
        let description = StageDescription(
            stage: stage ?? "report", kind: "report",
            materials: versions.map(StageMaterial.init),
            parameters: ["formats": .array(formats.map { .string($0.rawValue) })], pipeline: pipeline, derived: true)
        let outcome = try workspace.runStage(description) { _ in reports.map { StageArtifact(name: $0.name, file: $0.file) } }
        return (outcome, reports)
    }

    /// Writes reports under a folder (`<folder>/<type>/<contract>.<ext>`), each atomically.
    /// - returns: the paths written.
    @discardableResult
    public static func write(_ reports: [RenderedReport], under folder: URL) throws -> [URL] {
        try reports.map { report in
            let url = folder.appendingPathComponent(String(report.name.dropFirst("reports/".count)))
            try write(report, to: url)
            return url
        }
    }

    /// Copies a report to a file atomically (a temporary file beside it, renamed into place).
    public static func write(_ report: RenderedReport, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: temporary)
            try FileManager.default.copyItem(atPath: report.path, toPath: temporary.path)
            guard rename(temporary.path, url.path) == 0 else { throw ReportError.cannotWrite(path: url.path, reason: String(cString: strerror(errno))) }
        } catch let error as ReportError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReportError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Copies a report to standard output, a megabyte at a time.
    public static func writeToStandardOutput(_ report: RenderedReport) throws {
        guard let input = FileHandle(forReadingAtPath: report.path) else {
            throw ReportError.cannotWrite(path: "standard output", reason: "\(report.path) cannot be read")
        }
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { FileHandle.standardOutput.write(chunk) }
    }
}
