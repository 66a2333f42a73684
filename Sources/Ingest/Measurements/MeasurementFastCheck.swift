import Foundation

/// The protocol's measurement rules compiled for checking a row as bytes, without allocating.
///
/// It answers only "certainly acceptable": a row it cannot vouch for (any problem, or a shape it
/// does not handle, such as dates, `IN` range checks or non-ASCII text with a length limit) goes
/// to `MeasurementValidator`, which decides and explains. So it may be conservative, never lax:
/// every rule here is the validator's rule, tested against it row for row.
struct MeasurementFastCheck: Sendable {
    enum ValueKind: Sendable {
        case integer, decimal, boolean
        /// Text with an optional limit in characters.
        case text(maxLength: Int?)
        /// A type the validator does not check.
        case unchecked
        /// A type only the validator checks (dates, times).
        case fullCheckOnly
    }

    struct Bound: Sendable {
        let comparator: String
        let value: Double
    }

    /// What the fast check knows of an item. Rules are classes so that a lookup per row costs one
    /// reference count, not one per array inside.
    final class ItemRule: Sendable {
        let index: Int
        let kind: ValueKind
        let codeList: ByteKeyTable<Bool>?
        let bounds: [Bound]
        let unit: [UInt8]?
        let fullCheckOnly: Bool

        init(index: Int, kind: ValueKind, codeList: ByteKeyTable<Bool>?, bounds: [Bound], unit: [UInt8]?, fullCheckOnly: Bool) {
            self.index = index
            self.kind = kind
            self.codeList = codeList
            self.bounds = bounds
            self.unit = unit
            self.fullCheckOnly = fullCheckOnly
        }
    }

    final class VisitRule: Sendable {
        /// Items collected at the visit, by item index; nil: any item.
        let allowed: [Bool]?

        init(allowed: [Bool]?) { self.allowed = allowed }
    }

    private let items: ByteKeyTable<ItemRule>
    private let visits: ByteKeyTable<VisitRule>

    init(_ trialProtocol: TrialProtocol) {
        var seenItems = Set<String>()
        let distinctItems = trialProtocol.items.filter { seenItems.insert($0.oid).inserted }
        let itemIndex = Dictionary(distinctItems.enumerated().map { ($1.oid, $0) }, uniquingKeysWith: { first, _ in first })
        var codeLists: [String: ByteKeyTable<Bool>] = [:]
        for list in trialProtocol.codeLists where codeLists[list.oid] == nil {
            codeLists[list.oid] = ByteKeyTable(list.values.map { ($0, true) })
        }
        items = ByteKeyTable(distinctItems.enumerated().map { index, item in
            (item.oid, MeasurementFastCheck.rule(for: item, index: index, codeLists: codeLists))
        })
        visits = ByteKeyTable(trialProtocol.visits.map { visit in
            guard !visit.itemOIDs.isEmpty else { return (visit.oid, VisitRule(allowed: nil)) }
            var allowed = Array(repeating: false, count: distinctItems.count)
            for oid in visit.itemOIDs { if let index = itemIndex[oid] { allowed[index] = true } }
            return (visit.oid, VisitRule(allowed: allowed))
        })
    }

    private static func rule(for item: TrialProtocol.Item, index: Int, codeLists: [String: ByteKeyTable<Bool>]) -> ItemRule {
        let kind: ValueKind
        switch item.dataType {
        case "integer": kind = .integer
        case "float", "double": kind = .decimal
        case "boolean": kind = .boolean
        case "text", "string": kind = .text(maxLength: item.length)
        case "date", "datetime", "time": kind = .fullCheckOnly
        default: kind = .unchecked
        }
        var fullCheckOnly = false
        if case .fullCheckOnly = kind { fullCheckOnly = true }
        var bounds: [Bound] = []
        let numeric = ["integer", "float", "double"].contains(item.dataType)
        // A soft check flags a value the validator accepts: such items take the validator's path.
        if item.rangeChecks.contains(where: { !$0.hard }) { fullCheckOnly = true }
        for check in item.rangeChecks where check.hard {
            guard numeric, ["LT", "LE", "GT", "GE", "EQ", "NE"].contains(check.comparator), let text = check.values.first,
                  text.utf8.count <= 15, let value = Double(text) else {
                fullCheckOnly = true
                continue
            }
            bounds.append(Bound(comparator: check.comparator, value: value))
        }
        return ItemRule(index: index, kind: kind, codeList: item.codeListOID.flatMap { codeLists[$0] }, bounds: bounds,
                        unit: item.unit.map { Array($0.utf8) }, fullCheckOnly: fullCheckOnly)
    }

    /// True when the validator would certainly accept this measurement.
    func accepts(visit: UnsafeRawBufferPointer, item: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                 unit: UnsafeRawBufferPointer?) -> Bool {
        guard let visitRule = visits[visit], let rule = items[item], !rule.fullCheckOnly else { return false }
        if let allowed = visitRule.allowed, !allowed[rule.index] { return false }
        guard !value.isEmpty else { return false }
        switch rule.kind {
        case .integer:
            guard MeasurementFastCheck.isInteger(value) else { return false }
        case .decimal:
            guard MeasurementFastCheck.isDecimal(value) else { return false }
        case .boolean:
            guard value.elementsEqual("true".utf8) || value.elementsEqual("false".utf8)
                || value.elementsEqual("1".utf8) || value.elementsEqual("0".utf8) else { return false }
        case let .text(maxLength):
            // Characters are bytes only for ASCII without CR (CRLF is one Character).
            if let maxLength, value.count > maxLength || value.contains(where: { $0 >= 0x80 || $0 == 0x0D }) { return false }
        case .unchecked:
            break
        case .fullCheckOnly:
            return false
        }
        if let list = rule.codeList, list[value] == nil { return false }
        if !rule.bounds.isEmpty {
            guard value.count <= 15, let number = Double(String(decoding: value, as: UTF8.self)) else { return false }
            for bound in rule.bounds {
                let passes: Bool
                switch bound.comparator {
                case "LT": passes = number < bound.value
                case "LE": passes = number <= bound.value
                case "GT": passes = number > bound.value
                case "GE": passes = number >= bound.value
                case "EQ": passes = number == bound.value
                default: passes = number != bound.value
                }
                if !passes { return false }
            }
        }
        if let expected = rule.unit, let unit, !unit.isEmpty, !unit.elementsEqual(expected) { return false }
        return true
    }

    /// `MeasurementValidator.isInteger` on bytes: an optional sign, then 1 to 18 ASCII digits.
    static func isInteger(_ text: UnsafeRawBufferPointer) -> Bool {
        var digits = text[...]
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.count <= 18 && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `MeasurementValidator.isDecimal` on bytes: an optional sign, digits with at most one point
    /// and at least one digit, at most 30 bytes after the sign.
    static func isDecimal(_ text: UnsafeRawBufferPointer) -> Bool {
        var body = text[...]
        if let first = body.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { body = body.dropFirst() }
        guard body.count <= 30 else { return false }
        var points = 0, digits = 0
        for byte in body {
            if byte == UInt8(ascii: ".") {
                points += 1
            } else if byte >= 0x30 && byte <= 0x39 {
                digits += 1
            } else {
                return false
            }
        }
        return points <= 1 && digits > 0
    }
}

extension TrialTime {
    /// Parses exactly `YYYY-MM-DDThh:mm:ssZ` (the form `description` writes), the common case,
    /// from bytes; nil for anything else (which `init?(_:)` then decides).
    init?(canonicalUTC text: UnsafeRawBufferPointer) {
        guard text.count == 20, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
              text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for index in from..<(from + count) {
                let c = text[index]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), day >= 1,
              day <= TrialTime.daysIn(month: month, year: year), hour < 24, minute < 60, second < 60 else { return nil }
        self.init(epochSeconds: Int64(TrialTime.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second))
    }
}
