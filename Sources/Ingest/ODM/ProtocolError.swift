/// Why a protocol file was refused. Each names the file and, where there is one, the line.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(file: String, reason: String)
    /// Not well-formed XML, or not namespace-well-formed.
    case notWellFormed(file: String, line: Int, message: String)
    /// A DOCTYPE (DTD, entity declarations, external entities): refused, never expanded or fetched.
    case forbiddenDTD(file: String, line: Int)
    /// Not ODM 1.3 (for example ODM 2.0, or a fragment without the `ODM` root).
    case notODM13(file: String, found: String)
    /// Schema validation errors (the first few, with their lines).
    case schemaInvalid(file: String, errors: [String])
    /// Valid XML that TrialChain cannot use (a reference to an undefined OID, a bad window, …).
    case unusable(file: String, line: Int, message: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .notWellFormed(file, line, message): return "\(file):\(line): not well-formed XML: \(message)"
        case let .forbiddenDTD(file, line):
            return "\(file):\(line): the file has a DOCTYPE; DTDs, entity declarations and external entities are refused (never expanded or fetched)"
        case let .notODM13(file, found):
            return "\(file): expected a CDISC ODM 1.3 document (root element ODM in namespace http://www.cdisc.org/ns/odm/v1.3), found \(found)"
        case let .schemaInvalid(file, errors):
            return "\(file): does not validate against the ODM 1.3.2 schema with TrialChain's extension:\n  " + errors.joined(separator: "\n  ")
        case let .unusable(file, line, message): return "\(file):\(line): \(message)"
        }
    }
}
