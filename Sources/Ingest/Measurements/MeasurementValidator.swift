import Foundation

/// Checks one measurement against the protocol: visit, item, data type, range checks, code list
/// and unit. Returns the field at fault and why, or nil when the value is acceptable.
public struct MeasurementValidator: Sendable {
    let trialProtocol: TrialProtocol
    private let visits: [String: TrialProtocol.Visit]
    private let items: [String: TrialProtocol.Item]
    private let codeLists: [String: Set<String>]

    public init(_ trialProtocol: TrialProtocol) {
        self.trialProtocol = trialProtocol
        visits = Dictionary(trialProtocol.visits.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        items = Dictionary(trialProtocol.items.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        codeLists = Dictionary(trialProtocol.codeLists.map { ($0.oid, Set($0.values)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The problem with a measurement, as (field, reason), or nil.
    /// The soft range checks an accepted value fails, in plain words: the value is kept, flagged.
    public func softWarnings(item: String, value: String) -> [String] {
        guard let itemDef = items[item] else { return [] }
        return itemDef.rangeChecks.filter { !$0.hard }.compactMap { check in
            MeasurementValidator.rangeProblem(value, check, dataType: itemDef.dataType).map { "\($0) (a soft range check: accepted, flagged for review)" }
        }
    }

    public func problem(visit: String, item: String, value: String, unit: String?) -> (field: String, reason: String)? {
        guard let visitDef = visits[visit] else { return ("visit", "visit \"\(visit)\" is not defined in the protocol") }
        guard let itemDef = items[item] else { return ("item", "item \"\(item)\" is not defined in the protocol") }
        if !visitDef.itemOIDs.isEmpty, !visitDef.itemOIDs.contains(item) {
            return ("item", "item \(item) is not collected at visit \(visit)")
        }
        guard !value.isEmpty else { return ("value", "empty: a missing measurement is not a record") }
        if let problem = MeasurementValidator.typeProblem(value, itemDef) { return ("value", problem) }
        if let list = itemDef.codeListOID, let allowed = codeLists[list], !allowed.contains(value) {
            return ("value", "\"\(value)\" is not in code list \(list) (\(allowed.sorted().joined(separator: ", ")))")
        }
        for check in itemDef.rangeChecks where check.hard {
            if let failure = MeasurementValidator.rangeProblem(value, check, dataType: itemDef.dataType) {
                return ("value", "\(failure) (a hard range check of the protocol)")
            }
        }
        if let expected = itemDef.unit, let unit, !unit.isEmpty, unit != expected {
            return ("unit", "expected \(expected), found \(unit)")
        }
        return nil
    }

    static func typeProblem(_ value: String, _ item: TrialProtocol.Item) -> String? {
        switch item.dataType {
        case "integer":
            guard isInteger(value) else { return "\"\(value)\" is not an integer (\(item.oid) is integer)" }
        case "float", "double":
            guard isDecimal(value) else { return "\"\(value)\" is not a decimal number (\(item.oid) is \(item.dataType))" }
        case "boolean":
            guard ["true", "false", "1", "0"].contains(value) else { return "\"\(value)\" is not a boolean (true, false, 1, 0)" }
        case "date":
            guard value.utf8.count == 10, TrialTime(value) != nil else { return "\"\(value)\" is not a date (YYYY-MM-DD)" }
        case "datetime":
            guard TrialTime(value) != nil else { return "\"\(value)\" is not a date-time with a time zone (ISO 8601)" }
        case "time":
            guard value.range(of: #"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"#, options: .regularExpression) != nil else {
                return "\"\(value)\" is not a time (hh:mm[:ss])"
            }
        default:
            break
        }
        if let length = item.length, ["text", "string"].contains(item.dataType), value.count > length {
            return "\"\(value.prefix(40))\" is longer than \(length) characters"
        }
        return nil
    }

    static func isInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.count <= 18 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isDecimal(_ text: String) -> Bool {
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, !(parts.allSatisfy(\.isEmpty)) else { return false }
        return parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } } && body.count <= 30
    }

    /// The failed check in plain words ("400 is above the maximum 250"), or nil when it passes.
    private static let posix = Locale(identifier: "en_US_POSIX")

    static func rangeProblem(_ value: String, _ check: TrialProtocol.RangeCheck, dataType: String) -> String? {
        let numeric = ["integer", "float", "double"].contains(dataType)
        func compare(_ a: String, _ b: String) -> Int? {
            // Decimal strings of up to 15 significant digits convert to distinct, ordered doubles,
            // so the fast path is exact for them; longer ones go through Decimal.
            if numeric, a.utf8.count <= 15, b.utf8.count <= 15, let x = Double(a), let y = Double(b) {
                return x < y ? -1 : (x > y ? 1 : 0)
            }
            if numeric {
                guard let x = Decimal(string: a, locale: posix), let y = Decimal(string: b, locale: posix) else { return nil }
                return x < y ? -1 : (x > y ? 1 : 0)
            }
            return a < b ? -1 : (a > b ? 1 : 0)
        }
        let bound = check.values.first ?? ""
        let description: String
        switch check.comparator {
        case "LT": description = "\(value) is not below \(bound)"
        case "LE": description = "\(value) is above the maximum \(bound)"
        case "GT": description = "\(value) is not above \(bound)"
        case "GE": description = "\(value) is below the minimum \(bound)"
        case "EQ": description = "\(value) is not \(bound)"
        case "NE": description = "\(value) is a value the protocol excludes (\(bound))"
        case "IN": description = "\(value) is not one of the allowed values \(check.values.joined(separator: ", "))"
        case "NOTIN": description = "\(value) is one of the excluded values \(check.values.joined(separator: ", "))"
        default: description = "\(value) fails the protocol's \(check.comparator) \(check.values.joined(separator: " ")) check"
        }
        switch check.comparator {
        case "IN": return check.values.contains { compare(value, $0) == 0 } ? nil : description
        case "NOTIN": return check.values.contains { compare(value, $0) == 0 } ? description : nil
        default:
            guard let bound = check.values.first, let order = compare(value, bound) else { return nil }
            let passes: Bool
            switch check.comparator {
            case "LT": passes = order < 0
            case "LE": passes = order <= 0
            case "GT": passes = order > 0
            case "GE": passes = order >= 0
            case "EQ": passes = order == 0
            case "NE": passes = order != 0
            default: passes = true
            }
            return passes ? nil : description
        }
    }
}
