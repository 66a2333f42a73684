/// Why a contract was refused or could not be evaluated.
public enum ContractError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The contract file cannot be read.
    case unreadable(file: String, reason: String)
    /// The contract breaks the contract language, or names what the protocol does not define:
    /// names the file, line and key.
    case invalid(file: String, line: Int, key: String, message: String)
    /// What the contract reads has not been anchored yet.
    case missingInput(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalid(file, line, key, message): return "\(file):\(line): \(key): \(message)"
        case let .missingInput(message): return message
        }
    }
}
