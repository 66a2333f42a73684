/// Which CSV column holds each field of a measurement.
///
/// The documented long format has one row per measurement with the columns
/// `participant, site, visit, item, value, unit, collected_at`. Other layouts map their own
/// column names onto these fields (`--map participant=SUBJID,visit=VISITOID`).
public struct MeasurementLayout: Equatable, Sendable {
    /// The fields, in the long format's order.
    public static let fields = ["participant", "site", "visit", "item", "value", "unit", "collected_at"]
    /// Fields that may be missing from a file (no unit column: units are not checked).
    public static let optionalFields: Set<String> = ["unit"]

    /// field → column name.
    public let columns: [String: String]
    /// A REDCap data export instead of the long format (then `columns` is not used).
    public var redcap: REDCapLayout?

    /// A REDCap data export's layout.
    public init(redcap: REDCapLayout) throws {
        try self.init(overrides: [:])
        self.redcap = redcap
    }

    /// The long format, with `overrides` (field → column name) applied.
    /// - throws: `MeasurementError.unknownField` for a field that is not one of `fields`.
    public init(overrides: [String: String] = [:]) throws {
        var columns = Dictionary(uniqueKeysWithValues: MeasurementLayout.fields.map { ($0, $0) })
        for (field, column) in overrides {
            guard columns[field] != nil else { throw MeasurementError.unknownField(field) }
            columns[field] = column
        }
        self.columns = columns
    }

    /// Parses `field=column,field=column`.
    /// - throws: `MeasurementError.badMapping`.
    public init(mapping text: String) throws {
        var overrides: [String: String] = [:]
        for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw MeasurementError.badMapping(String(pair)) }
            overrides[parts[0]] = parts[1]
        }
        try self.init(overrides: overrides)
    }

    /// Column positions for a header row.
    /// - throws: `MeasurementError.missingColumn` or `.unknownColumn`, naming the file.
    func positions(header: [String], file: String) throws -> [String: Int] {
        var positions: [String: Int] = [:]
        let wanted = Set(columns.values)
        for (index, name) in header.enumerated() {
            guard wanted.contains(name) else { throw MeasurementError.unknownColumn(file: file, column: name, expected: MeasurementLayout.fields.map { columns[$0]! }) }
            guard positions[name] == nil else { throw MeasurementError.duplicateColumn(file: file, column: name) }
            positions[name] = index
        }
        var result: [String: Int] = [:]
        for field in MeasurementLayout.fields {
            let column = columns[field]!
            if let position = positions[column] {
                result[field] = position
            } else if !MeasurementLayout.optionalFields.contains(field) {
                throw MeasurementError.missingColumn(file: file, column: column, field: field)
            }
        }
        return result
    }
}

/// Why a measurement file cannot be ingested at all.
public enum MeasurementError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownField(String)
    case badMapping(String)
    case missingColumn(file: String, column: String, field: String)
    case unknownColumn(file: String, column: String, expected: [String])
    case duplicateColumn(file: String, column: String)

    public var description: String {
        switch self {
        case let .unknownField(field):
            return "--map names field \"\(field)\"; the fields are \(MeasurementLayout.fields.joined(separator: ", "))"
        case let .badMapping(text): return "--map entries are field=column, found \"\(text)\""
        case let .missingColumn(file, column, field):
            return "\(file):1: no column \"\(column)\" for the \(field) field (map another column with --map \(field)=COLUMN)"
        case let .unknownColumn(file, column, expected):
            return "\(file):1: unknown column \"\(column)\"; expected the columns \(expected.joined(separator: ", ")) (map other names with --map field=COLUMN)"
        case let .duplicateColumn(file, column): return "\(file):1: column \"\(column)\" appears twice"
        }
    }
}
