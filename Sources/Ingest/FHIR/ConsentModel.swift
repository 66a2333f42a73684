/// One participant's consent as read from a FHIR R4 `Consent` resource.
public struct ConsentRecord: Equatable, Sendable {
    /// The participant (`patient.reference` without `Patient/`, or `patient.identifier.value`).
    public let participant: String
    /// The consent form version (TrialChain's `consent-form-version` extension).
    public let formVersion: String
    /// FHIR status: `active`, `inactive`, `rejected`, `proposed`, `draft`, `entered-in-error`.
    public let status: String
    /// When the form was signed (`dateTime`).
    public let signedAt: TrialTime
    /// The provision period: data may be collected from `start` until `end` (a withdrawal).
    public let periodStart: TrialTime
    public let periodEnd: TrialTime?
    /// The signed document (`sourceAttachment`): where it is and its SHA-1 if the resource states one.
    public let documentPath: String
    public let documentSHA1: [UInt8]?
    /// The resource's `id`, and where it came from.
    public let resourceID: String
    public let file: String
    public let entry: Int?
    /// The signed document's SHA-256, when the source states one (a consent register does).
    public var documentSHA256: [UInt8]? = nil
    /// The line of the file it was read from (a consent register's row).
    public var line: Int? = nil
}

/// A consent resource that was read but cannot be accepted: kept with the reason.
public struct ConsentReject: Error, Equatable, Sendable {
    public let file: String
    /// The index in a Bundle's `entry` list, or nil for a single resource.
    public let entry: Int?
    /// The FHIR path of the field at fault, e.g. `sourceAttachment.hash`.
    public let field: String
    public let reason: String
    /// The line of the file (a consent register's row).
    public var line: Int? = nil
}

/// Why a consent file cannot be read at all.
public enum ConsentError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformedJSON(file: String, line: Int, reason: String)
    case wrongResourceType(file: String, found: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .malformedJSON(file, line, reason): return "\(file):\(line): not valid JSON: \(reason)"
        case let .wrongResourceType(file, found):
            return "\(file): expected a FHIR R4 Consent resource or a Bundle of them, found resourceType \"\(found)\""
        }
    }
}
