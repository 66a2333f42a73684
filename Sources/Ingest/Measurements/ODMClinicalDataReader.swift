import Foundation

/// One value of a CDISC ODM 1.3 `ClinicalData` export: an `ItemData` in its subject, site, study
/// event, and the time ODM gives it (the nearest `AuditRecord/DateTimeStamp`: the item's own, else
/// its item group's, form's, study event's or subject's).
struct ODMValue {
    var participant: String
    var site: String?
    var visit: String
    var item: String
    var value: String?
    var stamp: String?
    var line: Int
    /// `TransactionType="Remove"`, or `IsNull="Yes"`: not a measurement.
    var removed = false
}

/// Streams a CDISC ODM 1.3 `ClinicalData` file (`SubjectData/StudyEventData/FormData/ItemGroupData/
/// ItemData`, with `SiteRef` or none): the values of one study event occurrence at a time, so that
/// memory is bounded by the largest event, never the file. Reads the ODM of OpenClinica, Medidata
/// Rave and Castor exports (`ItemData` with `Value`) and of ODM 1.3.2's typed `ItemData…`
/// elements; vendor attributes are ignored.
struct ODMClinicalDataReader {
    static let odmNamespace = "http://www.cdisc.org/ns/odm/v1.3"
    let path: String
    let file: String
    /// The protocol's study OID: `ClinicalData` of another study is refused.
    let studyOID: String

    /// Calls `body` with the values of each study event occurrence, in file order.
    /// - parameter observe: shown every chunk of the file's bytes as read (see `XMLStreamReader`).
    /// - throws: `XMLStreamError` for a file that is not well-formed or not this study's data.
    func read(observing observe: ((UnsafeRawBufferPointer) -> Void)? = nil, _ body: ([ODMValue]) throws -> Void) throws {
        let reader = try observe.map { try XMLStreamReader(path: path, file: file, observing: $0) } ?? XMLStreamReader(path: path, file: file)
        var sawRoot = false, sawClinicalData = false
        var subject: String?, site: String?, event: String?
        // The AuditRecord time stamp of each open element, innermost last.
        var stamps: [(element: String, stamp: String?)] = []
        var group: [ODMValue] = []
        var current: ODMValue?
        var inDateTimeStamp = false
        var typedValue = false
        var text = ""
        while try reader.next() {
            if reader.isElement {
                let name = reader.localName
                let isODM = reader.namespaceURI == Self.odmNamespace
                if !sawRoot {
                    sawRoot = true
                    guard name == "ODM", isODM else {
                        throw XMLStreamError.notClinicalData(file: file, line: reader.line, message: "not a CDISC ODM 1.3 file (root element \(name))")
                    }
                    continue
                }
                guard isODM else { continue }
                switch name {
                case "ClinicalData":
                    sawClinicalData = true
                    let oid = reader.attribute("StudyOID") ?? ""
                    guard oid == studyOID else {
                        throw XMLStreamError.notClinicalData(file: file, line: reader.line,
                            message: "ClinicalData of study \(oid), but the protocol is study \(studyOID): data of another study is refused")
                    }
                case "SubjectData":
                    subject = reader.attribute("SubjectKey")
                    site = nil
                    if !reader.isEmptyElement { stamps.append(("SubjectData", nil)) }
                case "SiteRef":
                    site = reader.attribute("LocationOID")
                case "StudyEventData":
                    event = reader.attribute("StudyEventOID")
                    group.removeAll(keepingCapacity: true)
                    if !reader.isEmptyElement { stamps.append(("StudyEventData", nil)) }
                case "FormData", "ItemGroupData":
                    if !reader.isEmptyElement { stamps.append((name, nil)) }
                case "AuditRecord":
                    break
                case "DateTimeStamp":
                    inDateTimeStamp = true
                    text = ""
                default:
                    guard name.hasPrefix("ItemData") else { continue }
                    var value = ODMValue(participant: subject ?? "", site: site, visit: event ?? "", item: reader.attribute("ItemOID") ?? "",
                                         value: reader.attribute("Value"), stamp: nil, line: reader.line)
                    value.removed = reader.attribute("TransactionType") == "Remove" || reader.attribute("IsNull") == "Yes"
                    if reader.isEmptyElement {
                        value.stamp = stamps.last(where: { $0.stamp != nil })?.stamp
                        group.append(value)
                    } else {
                        // ODM 1.3.2's typed ItemData… elements hold the value as their text.
                        typedValue = name != "ItemData"
                        if typedValue { value.value = "" }
                        current = value
                        stamps.append(("ItemData", nil))
                    }
                }
            } else if reader.isEndElement {
                guard reader.namespaceURI == Self.odmNamespace else { continue }
                let name = reader.localName
                switch name {
                case "DateTimeStamp":
                    inDateTimeStamp = false
                    if !stamps.isEmpty { stamps[stamps.count - 1].stamp = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                case "SubjectData", "FormData", "ItemGroupData":
                    if stamps.last?.element == name { stamps.removeLast() }
                case "StudyEventData":
                    if stamps.last?.element == name { stamps.removeLast() }
                    try body(group)
                    group.removeAll(keepingCapacity: true)
                default:
                    guard name.hasPrefix("ItemData"), var value = current else { continue }
                    let own = stamps.last?.element == "ItemData" ? stamps.removeLast().stamp : nil
                    value.stamp = own ?? stamps.last(where: { $0.stamp != nil })?.stamp
                    group.append(value)
                    current = nil
                    typedValue = false
                }
            } else if reader.nodeType == XMLStreamReader.Kind.text.rawValue || reader.nodeType == XMLStreamReader.Kind.cdata.rawValue {
                if inDateTimeStamp {
                    text += reader.value ?? ""
                } else if typedValue, var item = current, let fragment = reader.value {
                    item.value = (item.value ?? "") + fragment
                    current = item
                }
            }
        }
        guard sawClinicalData else {
            throw XMLStreamError.notClinicalData(file: file, line: 1, message: "no ClinicalData: measurement files in ODM hold ClinicalData (metadata is the protocol)")
        }
    }
}
