import CLibXML2
import Foundation

/// Reads a trial protocol from a CDISC ODM 1.3.x file: safe parsing, validation against the
/// unmodified ODM 1.3.2 schema plus TrialChain's extension, then the protocol model.
///
/// Visit windows come from TrialChain's extension (`tc:PlannedStudyDay`, `tc:WindowBefore`,
/// `tc:WindowAfter`) or, in a REDCap export, from `redcap:DayOffset`, `redcap:OffsetMin` and
/// `redcap:OffsetMax`. Other vendors' extensions (REDCap's among them) are removed before
/// validation: they are neither validated nor used.
public struct ODMProtocolReader: Sendable {
    public static let odmNamespace = "http://www.cdisc.org/ns/odm/v1.3"
    public static let extensionNamespace = "https://trialchain.dev/ns/odm/v1"
    public static let redcapNamespace = "https://projectredcap.org"
    static let keptNamespaces: Set<String> = [odmNamespace, extensionNamespace, "http://www.w3.org/2000/09/xmldsig#",
                                              "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2001/XMLSchema-instance"]

    private let schema: XMLSchema

    /// Compiles the bundled schema.
    /// - throws: `ProtocolError.unreadable` if the bundled schema is missing.
    public init() throws {
        guard let directory = Bundle.module.url(forResource: "odm-1.3.2", withExtension: nil) else {
            throw ProtocolError.unreadable(file: "odm-1.3.2", reason: "the bundled ODM schema is missing")
        }
        schema = try XMLSchema(path: directory.appendingPathComponent("trialchain-odm-1.3.2.xsd").path)
    }

    /// Reads a protocol file.
    /// - parameter displayName: the name to report in errors.
    /// - throws: `ProtocolError` naming the file, line and element.
    public func read(url: URL, displayName: String? = nil) throws -> TrialProtocol {
        let name = displayName ?? url.path
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ProtocolError.unreadable(file: name, reason: "no such file or permission denied")
        }
        return try read(bytes: Array(data), displayName: name)
    }

    /// Reads a protocol from bytes.
    /// - throws: `ProtocolError` naming the file, line and element.
    public func read(bytes: [UInt8], displayName name: String) throws -> TrialProtocol {
        let document = try XMLDocument.parse(bytes, file: name)
        guard let root = document.root else { throw ProtocolError.notODM13(file: name, found: "an empty document") }
        guard root.name == "ODM", root.namespaceURI == Self.odmNamespace else {
            throw ProtocolError.notODM13(file: name, found: "root element \(root.name) in namespace \(root.namespaceURI ?? "(none)")")
        }
        // Read vendor window attributes first; they are removed before validation.
        let redcapWindows = Self.redcapWindows(root)
        let forcedRanges = Self.redcapForcedRanges(root)
        let isREDCap = root.attribute("SourceSystem") == "REDCap"
        root.removeForeignNamespaces(keeping: Self.keptNamespaces)
        let errors = document.validate(against: schema)
        // REDCap's ODM 1.3.1 exports are known not to validate (empty ItemGroupDef names, boolean
        // code lists): for them schema errors are kept as warnings in the artifact, and the
        // structural checks below still apply. Every other file must validate.
        guard errors.isEmpty || isREDCap else { throw ProtocolError.schemaInvalid(file: name, errors: Array(errors.prefix(10))) }
        var model = try Self.model(root, file: name, redcapWindows: redcapWindows)
        // REDCap's min/max are soft (a warning at entry) unless the field carries @FORCE-MINMAX.
        for index in model.items.indices where forcedRanges.contains(model.items[index].oid) {
            for check in model.items[index].rangeChecks.indices { model.items[index].rangeChecks[check].hard = true }
        }
        model.schemaWarnings = errors
        return model
    }

    struct RedcapWindow {
        let day: Int?
        let before: Int?
        let after: Int?
        let arm: (oid: String, name: String)?
        /// Declared repeating in the project's settings (`redcap:RepeatingInstrumentsAndEvents`):
        /// the event itself, or an instrument of it (a diary), so its items recur.
        var repeats = false
        /// `redcap:UniqueEventName`, which data exports name in `redcap_event_name`.
        var uniqueEventName: String? = nil
    }

    /// ItemDefs whose REDCap field annotation has the `@FORCE-MINMAX` action tag: their min and
    /// max are enforced (hard), where REDCap's are otherwise soft.
    private static func redcapForcedRanges(_ root: xmlNodePtr) -> Set<String> {
        var forced: Set<String> = []
        for study in root.elements("Study", namespace: odmNamespace) {
            for version in study.elements("MetaDataVersion", namespace: odmNamespace) {
                for item in version.elements("ItemDef", namespace: odmNamespace) {
                    guard let oid = item.attribute("OID"),
                          item.attribute("FieldAnnotation", namespace: redcapNamespace)?.uppercased().contains("@FORCE-MINMAX") == true else { continue }
                    forced.insert(oid)
                }
            }
        }
        return forced
    }

    private static func redcapWindows(_ root: xmlNodePtr) -> [String: RedcapWindow] {
        var windows: [String: RedcapWindow] = [:]
        for study in root.elements("Study", namespace: odmNamespace) {
            for version in study.elements("MetaDataVersion", namespace: odmNamespace) {
                for event in version.elements("StudyEventDef", namespace: odmNamespace) {
                    guard let oid = event.attribute("OID"), event.attribute("DayOffset", namespace: redcapNamespace) != nil else { continue }
                    let armNumber = event.attribute("ArmNum", namespace: redcapNamespace)
                    // REDCap's day offset counts calendar days from the first event (0 is that event's
                    // day); a CDISC study calendar has no day 0: offset d is study day d + 1 for
                    // d ≥ 0, and study day d for d < 0 (the days before the first event).
                    windows[oid] = RedcapWindow(
                        day: event.attribute("DayOffset", namespace: redcapNamespace).flatMap { Int($0) }.map { $0 >= 0 ? $0 + 1 : $0 },
                        before: event.attribute("OffsetMin", namespace: redcapNamespace).flatMap { Int($0) },
                        after: event.attribute("OffsetMax", namespace: redcapNamespace).flatMap { Int($0) },
                        arm: armNumber.map { ("ARM.\($0)", event.attribute("ArmName", namespace: redcapNamespace) ?? "Arm \($0)") },
                        uniqueEventName: event.attribute("UniqueEventName", namespace: redcapNamespace))
                }
            }
        }
        // REDCap declares repetition only in its global settings, by unique event name: a
        // repeating event, or a repeating instrument within an event.
        var repeatingEvents: Set<String> = []
        for study in root.elements("Study", namespace: odmNamespace) {
            for globals in study.elements("GlobalVariables", namespace: odmNamespace) {
                for settings in globals.elements("RepeatingInstrumentsAndEvents", namespace: redcapNamespace) {
                    for event in settings.elements("RepeatingEvent", namespace: redcapNamespace) {
                        if let name = event.attribute("UniqueEventName", namespace: redcapNamespace) { repeatingEvents.insert(name) }
                    }
                    for list in settings.elements("RepeatingInstruments", namespace: redcapNamespace) {
                        for instrument in list.elements("RepeatingInstrument", namespace: redcapNamespace) {
                            if let name = instrument.attribute("UniqueEventName", namespace: redcapNamespace) { repeatingEvents.insert(name) }
                        }
                    }
                }
            }
        }
        if !repeatingEvents.isEmpty {
            for study in root.elements("Study", namespace: odmNamespace) {
                for version in study.elements("MetaDataVersion", namespace: odmNamespace) {
                    for event in version.elements("StudyEventDef", namespace: odmNamespace) {
                        guard let oid = event.attribute("OID"), let unique = event.attribute("UniqueEventName", namespace: redcapNamespace),
                              repeatingEvents.contains(unique) else { continue }
                        windows[oid]?.repeats = true
                    }
                }
            }
        }
        return windows
    }

    private static func model(_ root: xmlNodePtr, file: String, redcapWindows: [String: RedcapWindow]) throws -> TrialProtocol {
        let ns = odmNamespace
        guard let study = root.element("Study", namespace: ns) else {
            throw ProtocolError.unusable(file: file, line: root.line, message: "the ODM file has no Study element: a protocol needs Study/MetaDataVersion")
        }
        guard let version = study.element("MetaDataVersion", namespace: ns) else {
            throw ProtocolError.unusable(file: file, line: study.line, message: "Study has no MetaDataVersion: a protocol needs its visit and item definitions")
        }
        let studyName = study.element("GlobalVariables", namespace: ns)?.element("StudyName", namespace: ns)?.text ?? ""

        // Definitions by OID.
        func index(_ name: String) -> [String: xmlNodePtr] {
            Dictionary(version.elements(name, namespace: ns).compactMap { node in node.attribute("OID").map { ($0, node) } },
                       uniquingKeysWith: { first, _ in first })
        }
        let forms = index("FormDef"), groups = index("ItemGroupDef"), itemDefs = index("ItemDef")

        func resolve(_ node: xmlNodePtr, ref: String, attribute: String, in table: [String: xmlNodePtr], kind: String) throws -> [xmlNodePtr] {
            try node.elements(ref, namespace: ns).map { reference in
                let oid = reference.attribute(attribute) ?? ""
                guard let target = table[oid] else {
                    throw ProtocolError.unusable(file: file, line: reference.line, message: "\(ref) names \(kind) \"\(oid)\", which is not defined")
                }
                return target
            }
        }

        var order: [String: Int] = [:]
        if let protocolNode = version.element("Protocol", namespace: ns) {
            for reference in protocolNode.elements("StudyEventRef", namespace: ns) {
                if let oid = reference.attribute("StudyEventOID") { order[oid] = reference.attribute("OrderNumber").flatMap { Int($0) } ?? (order.count + 1) }
            }
        }
        var visits: [TrialProtocol.Visit] = []
        var armsFromRedcap: [String: String] = [:]
        let windowSource = version.elements("StudyEventDef", namespace: ns).contains { $0.attribute("PlannedStudyDay", namespace: extensionNamespace) != nil }
            ? "trialchain" : (redcapWindows.isEmpty ? "none" : "redcap")
        for (position, event) in version.elements("StudyEventDef", namespace: ns).enumerated() {
            let oid = event.attribute("OID") ?? ""
            var itemOIDs: [String] = []
            for form in try resolve(event, ref: "FormRef", attribute: "FormOID", in: forms, kind: "form") {
                for group in try resolve(form, ref: "ItemGroupRef", attribute: "ItemGroupOID", in: groups, kind: "item group") {
                    for item in try resolve(group, ref: "ItemRef", attribute: "ItemOID", in: itemDefs, kind: "item") {
                        if let itemOID = item.attribute("OID"), !itemOIDs.contains(itemOID) { itemOIDs.append(itemOID) }
                    }
                }
            }
            var visit = TrialProtocol.Visit(
                oid: oid, name: event.attribute("Name") ?? oid, order: order[oid] ?? (1000 + position),
                repeating: event.attribute("Repeating") == "Yes",
                plannedDay: nil, windowBefore: nil, windowAfter: nil, armOIDs: [], itemOIDs: itemOIDs.sorted())
            if windowSource == "trialchain" {
                visit.plannedDay = event.attribute("PlannedStudyDay", namespace: extensionNamespace).flatMap { Int($0) }
                visit.windowBefore = event.attribute("WindowBefore", namespace: extensionNamespace).flatMap { Int($0) }
                visit.windowAfter = event.attribute("WindowAfter", namespace: extensionNamespace).flatMap { Int($0) }
                visit.armOIDs = (event.attribute("ArmOIDs", namespace: extensionNamespace) ?? "").split(separator: " ").map(String.init)
            } else if let window = redcapWindows[oid] {
                visit.repeating = visit.repeating || window.repeats
                visit.redcapEventName = window.uniqueEventName
                visit.plannedDay = window.day
                visit.windowBefore = window.before
                visit.windowAfter = window.after
                if let arm = window.arm { visit.armOIDs = [arm.oid]; armsFromRedcap[arm.oid] = arm.name }
            }
            if (visit.windowBefore != nil || visit.windowAfter != nil) && visit.plannedDay == nil {
                throw ProtocolError.unusable(file: file, line: event.line, message: "StudyEventDef \(oid) has a window but no planned study day")
            }
            visits.append(visit)
        }
        visits.sort { ($0.order, $0.oid) < ($1.order, $1.oid) }
        for oid in order.keys where !visits.contains(where: { $0.oid == oid }) {
            throw ProtocolError.unusable(file: file, line: version.element("Protocol", namespace: ns)?.line ?? version.line,
                                         message: "StudyEventRef names visit \"\(oid)\", which has no StudyEventDef")
        }

        let codeLists = version.elements("CodeList", namespace: ns).map { list in
            TrialProtocol.CodeList(
                oid: list.attribute("OID") ?? "", dataType: list.attribute("DataType") ?? "text",
                values: (list.elements("CodeListItem", namespace: ns) + list.elements("EnumeratedItem", namespace: ns)).compactMap { $0.attribute("CodedValue") })
        }.sorted { $0.oid < $1.oid }
        var items: [TrialProtocol.Item] = []
        for def in version.elements("ItemDef", namespace: ns) {
            let oid = def.attribute("OID") ?? ""
            let codeListOID = def.element("CodeListRef", namespace: ns)?.attribute("CodeListOID")
            if let codeListOID, !codeLists.contains(where: { $0.oid == codeListOID }) {
                throw ProtocolError.unusable(file: file, line: def.line, message: "ItemDef \(oid) refers to code list \"\(codeListOID)\", which is not defined")
            }
            let unitOID = def.element("MeasurementUnitRef", namespace: ns)?.attribute("MeasurementUnitOID")
            items.append(TrialProtocol.Item(
                oid: oid, name: def.attribute("Name") ?? oid, dataType: def.attribute("DataType") ?? "text",
                length: def.attribute("Length").flatMap { Int($0) }, significantDigits: def.attribute("SignificantDigits").flatMap { Int($0) },
                codeListOID: codeListOID, unit: unitOID.map { unitName($0, root: root) ?? $0 },
                rangeChecks: def.elements("RangeCheck", namespace: ns).map { check in
                    TrialProtocol.RangeCheck(comparator: check.attribute("Comparator") ?? "", values: check.elements("CheckValue", namespace: ns).map(\.text),
                                             hard: check.attribute("SoftHard") == "Hard")
                }))
        }
        items.sort { $0.oid < $1.oid }

        var arms: [TrialProtocol.Arm] = version.element("Arms", namespace: extensionNamespace)?.elements("Arm", namespace: extensionNamespace).map {
            TrialProtocol.Arm(oid: $0.attribute("OID") ?? "", name: $0.attribute("Name") ?? "")
        } ?? []
        if arms.isEmpty { arms = armsFromRedcap.map { TrialProtocol.Arm(oid: $0.key, name: $0.value) } }
        arms.sort { $0.oid < $1.oid }
        for visit in visits {
            for arm in visit.armOIDs where !arms.contains(where: { $0.oid == arm }) {
                throw ProtocolError.unusable(file: file, line: root.line, message: "visit \(visit.oid) names arm \"\(arm)\", which tc:Arms does not define")
            }
        }
        let consents = version.element("ConsentForms", namespace: extensionNamespace)?.elements("ConsentForm", namespace: extensionNamespace).compactMap {
            $0.attribute("Version")
        } ?? []
        return TrialProtocol(
            studyOID: study.attribute("OID") ?? "", studyName: studyName, metaDataVersionOID: version.attribute("OID") ?? "",
            odmVersion: root.attribute("ODMVersion") ?? "", windowSource: windowSource, visits: visits, items: items,
            codeLists: codeLists, arms: arms, approvedConsentVersions: consents.sorted(), schemaWarnings: [])
    }

    private static func unitName(_ oid: String, root: xmlNodePtr) -> String? {
        for study in root.elements("Study", namespace: odmNamespace) {
            for units in study.elements("BasicDefinitions", namespace: odmNamespace) {
                for unit in units.elements("MeasurementUnit", namespace: odmNamespace) where unit.attribute("OID") == oid {
                    return unit.attribute("Name")
                }
            }
        }
        return nil
    }
}
