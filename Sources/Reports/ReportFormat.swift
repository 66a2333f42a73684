import Attestation
import Workspace

/// The formats a report is written in.
public enum ReportFormat: String, CaseIterable, Sendable {
    /// RFC 4180 CSV, one row per line of the report, with totals rows.
    case csv
    /// RFC 8785 canonical JSON: the contract's output with the report's context.
    case json
    /// One self-contained HTML file (inline CSS and SVG chart) that prints well.
    case html

    /// The file extension.
    public var fileExtension: String { rawValue }
}

/// A rendered report: the artifact name it is anchored under, and its bytes in a file of the
/// object store (in place once its stage committed, or a temporary file until then).
public struct RenderedReport {
    /// `reports/<type>/<contract>.<ext>`.
    public let name: String
    public let format: ReportFormat
    /// Lowercase hex SHA-256 of the report.
    public let sha256: String
    public let byteCount: Int64
    let file: HashingOutput
    let objects: ObjectStore

    /// Where the bytes are now: the stored blob, or the temporary file of a stage that appended
    /// nothing (the same report was anchored before, and its blob may since have been erased).
    public var path: String {
        objects.contains(sha256) ? objects.path(for: sha256) : (file.path ?? objects.path(for: sha256))
    }
}
