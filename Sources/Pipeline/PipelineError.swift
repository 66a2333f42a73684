/// Why a pipeline file was refused or a pipeline run stopped.
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(file: String, reason: String)
    /// The file breaks the pipeline format: names the line and key.
    case invalid(file: String, line: Int, key: String, message: String)
    /// A stage failed; the stages before it are committed.
    case stageFailed(stage: String, position: Int, of: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalid(file, line, key, message): return "\(file):\(line): \(key): \(message)"
        case let .stageFailed(stage, position, total, reason):
            return "stage \(position) of \(total) (\(stage)) failed; the stages before it are committed, nothing of it was stored: \(reason)"
        }
    }
}
