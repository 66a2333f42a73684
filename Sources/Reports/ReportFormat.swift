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

/// A rendered report: the artifact name it is anchored under and its bytes.
public struct RenderedReport: Equatable, Sendable {
    /// `reports/<type>/<contract>.<ext>`.
    public let name: String
    public let format: ReportFormat
    public let bytes: [UInt8]
}
