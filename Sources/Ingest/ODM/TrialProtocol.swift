import Attestation

/// A trial protocol as TrialChain uses it: visits with windows, items with their checks, code
/// lists, arms and approved consent forms. Read from CDISC ODM by `ODMProtocolReader`.
public struct TrialProtocol: Equatable, Sendable {
    /// A visit: an ODM `StudyEventDef`.
    public struct Visit: Equatable, Sendable {
        public var oid: String
        public var name: String
        /// Position in the protocol's schedule (`StudyEventRef/@OrderNumber`, else document order).
        public var order: Int
        public var repeating: Bool
        /// Planned study day, and the days before/after it that still count as in window.
        public var plannedDay: Int?
        public var windowBefore: Int?
        public var windowAfter: Int?
        /// The arms the visit belongs to; empty means every arm.
        public var armOIDs: [String]
        /// The items collected at this visit (through its forms and item groups).
        public var itemOIDs: [String]
        /// A REDCap export's unique event name (`redcap:UniqueEventName`), which its data
        /// exports name in `redcap_event_name`; nil for other protocols.
        public var redcapEventName: String? = nil
    }

    /// A range check (`RangeCheck`), e.g. `GE 40` (soft or hard).
    public struct RangeCheck: Equatable, Sendable {
        public var comparator: String
        public var values: [String]
        public var hard: Bool
    }

    /// An item: an ODM `ItemDef`.
    public struct Item: Equatable, Sendable {
        public var oid: String
        public var name: String
        /// ODM data type: integer, float, text, date, datetime, time, boolean, …
        public var dataType: String
        public var length: Int?
        public var significantDigits: Int?
        public var codeListOID: String?
        public var unit: String?
        public var rangeChecks: [RangeCheck]
    }

    /// A code list: the coded values an item may take.
    public struct CodeList: Equatable, Sendable {
        public var oid: String
        public var dataType: String
        public var values: [String]
    }

    /// A treatment arm.
    public struct Arm: Equatable, Sendable {
        public var oid: String
        public var name: String
    }

    public var studyOID: String
    public var studyName: String
    public var metaDataVersionOID: String
    /// The ODM version the file declares.
    public var odmVersion: String
    /// Where the visit windows came from: `trialchain`, `redcap` or `none`.
    public var windowSource: String
    public var visits: [Visit]
    public var items: [Item]
    public var codeLists: [CodeList]
    public var arms: [Arm]
    public var approvedConsentVersions: [String]
    /// Schema errors tolerated in a REDCap export (empty for every other source).
    public var schemaWarnings: [String]

    /// The visit with an OID.
    public func visit(_ oid: String) -> Visit? { visits.first { $0.oid == oid } }
    /// The item with an OID.
    public func item(_ oid: String) -> Item? { items.first { $0.oid == oid } }
    /// The code list with an OID.
    public func codeList(_ oid: String) -> CodeList? { codeLists.first { $0.oid == oid } }

    /// The protocol artifact: canonical JSON (RFC 8785), the same bytes for the same protocol.
    public var json: JSONValue {
        func optional(_ value: Int?) -> JSONValue { value.map { .integer(Int64($0)) } ?? .null }
        return .object([
            "studyOID": .string(studyOID), "studyName": .string(studyName),
            "metaDataVersionOID": .string(metaDataVersionOID), "odmVersion": .string(odmVersion),
            "windowSource": .string(windowSource),
            "visits": .array(visits.map { visit in
                var object: [String: JSONValue] = [
                    "oid": .string(visit.oid), "name": .string(visit.name), "order": .integer(Int64(visit.order)),
                    "repeating": .bool(visit.repeating), "plannedDay": optional(visit.plannedDay),
                    "windowBefore": optional(visit.windowBefore), "windowAfter": optional(visit.windowAfter),
                    "armOIDs": .array(visit.armOIDs.map(JSONValue.string)), "itemOIDs": .array(visit.itemOIDs.map(JSONValue.string)),
                ]
                // Only REDCap protocols have it: other protocol artifacts keep their bytes.
                if let name = visit.redcapEventName { object["redcapEventName"] = .string(name) }
                return .object(object)
            }),
            "items": .array(items.map { item in
                .object([
                    "oid": .string(item.oid), "name": .string(item.name), "dataType": .string(item.dataType),
                    "length": optional(item.length), "significantDigits": optional(item.significantDigits),
                    "codeListOID": item.codeListOID.map(JSONValue.string) ?? .null, "unit": item.unit.map(JSONValue.string) ?? .null,
                    "rangeChecks": .array(item.rangeChecks.map { check in
                        .object(["comparator": .string(check.comparator), "values": .array(check.values.map(JSONValue.string)), "hard": .bool(check.hard)])
                    }),
                ])
            }),
            "codeLists": .array(codeLists.map { list in
                .object(["oid": .string(list.oid), "dataType": .string(list.dataType), "values": .array(list.values.map(JSONValue.string))])
            }),
            "arms": .array(arms.map { .object(["oid": .string($0.oid), "name": .string($0.name)]) }),
            "approvedConsentVersions": .array(approvedConsentVersions.map(JSONValue.string)),
            "schemaWarnings": .array(schemaWarnings.map(JSONValue.string)),
        ])
    }
}
