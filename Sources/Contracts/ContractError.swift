/// Why a contract was refused or could not be evaluated.
public enum ContractError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The contract file cannot be read.
    case unreadable(file: String, reason: String)
    /// The contract breaks the contract language, or names what the protocol does not define:
    /// names the file, line and key.
    case invalid(file: String, line: Int, key: String, message: String)
    /// What the contract reads has not been anchored yet.
    case missingInput(String)
    /// A sum of money or counts would not fit in 64 bits: nothing was written.
    case overflow(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalid(file, line, key, message): return "\(file):\(line): \(key): \(message)"
        case let .missingInput(message): return message
        case let .overflow(what): return "\(what) does not fit in a signed 64-bit number of minor units: the contract cannot be evaluated on this many participants at these amounts (nothing was written)"
        }
    }
}
