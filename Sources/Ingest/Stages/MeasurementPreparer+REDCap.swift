import Attestation
import Foundation
import Workspace

/// The measurement stage's reader for REDCap data exports (see `REDCapLayout`): each filled cell
/// of a wide row becomes one measurement in the long format's fields, checked like a CSV row of
/// the long format (protocol, consent) and stored the same way, with the row's line.
extension MeasurementPreparer {
    /// Columns of a REDCap export that are not measurements.
    static let redcapBookkeeping: Set<String> = ["redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
                                                 "redcap_data_access_group", "redcap_survey_identifier"]

    /// - parameter copy: receives the file's bytes as read.
    /// - returns: the file's records and rejects.
    /// - throws: `REDCapError.column` for a column the protocol does not define; CSV errors.
    func readREDCap(_ file: InputFile, index: Int, _ layout: REDCapLayout, _ state: State, copyingInto copy: HashingOutput,
                    flushIfFull: () throws -> Void) throws -> (records: Int, rejects: Int) {
        let model = validator.trialProtocol
        let visitsByEvent = Dictionary(model.visits.compactMap { visit in visit.redcapEventName.map { ($0, visit.oid) } }, uniquingKeysWith: { first, _ in first })
        var header: [String] = []
        var fieldColumns: [(index: Int, name: String)] = []
        var dateColumns: [Int] = []
        var eventColumn: Int?, groupColumn: Int?
        var records = 0, rejects = 0
        var pending: Error?
        try CSVReader(url: file.url, displayName: file.name).forEachRecord(observing: { copy.write($0) }) { record in
            if let pending { throw pending }
            if header.isEmpty {
                header = record.fields
                guard header.count >= 2 else { throw REDCapError.column(file: file.name, message: "a REDCap export has the record id and at least one field") }
                for (position, name) in header.enumerated().dropFirst() {
                    if name == "redcap_event_name" { eventColumn = position; continue }
                    if name == "redcap_data_access_group" { groupColumn = position; continue }
                    if Self.redcapBookkeeping.contains(name) || name.hasSuffix("_complete") || name.hasSuffix("_timestamp") { continue }
                    guard model.item(name) != nil else {
                        throw REDCapError.column(file: file.name, message: "field \"\(name)\" is not an item of protocol \(model.studyOID): export the data with the project's current data dictionary, or ingest the matching protocol first")
                    }
                    fieldColumns.append((position, name))
                }
                for field in layout.dateFields {
                    guard let position = header.firstIndex(of: field) else {
                        throw REDCapError.column(file: file.name, message: "the date field \"\(field)\" is not a column of the export")
                    }
                    dateColumns.append(position)
                }
                if eventColumn == nil, visitsByEvent.count > 1 {
                    throw REDCapError.column(file: file.name, message: "no redcap_event_name column, but the protocol is longitudinal (\(visitsByEvent.count) events)")
                }
                if groupColumn == nil, layout.site == nil {
                    throw REDCapError.column(file: file.name, message: "no redcap_data_access_group column to give each row's site: export with data access groups, or give the site (--site)")
                }
                return
            }
            let fields = record.fields
            func reject(_ field: String, _ reason: String) {
                let context = "\(header[0])=\(fields.first ?? "")" + (eventColumn.map { ", event=\(fields.count > $0 ? fields[$0] : "")" } ?? "")
                state.chunk.rejects.append(StageReject(file: file.name, line: record.line, field: field, reason: reason, raw: context))
                rejects += 1
            }
            defer { do { try flushIfFull() } catch { pending = error } }
            guard fields.count == header.count else {
                reject("(row)", "expected \(header.count) fields as in the header, found \(fields.count)")
                return
            }
            let participant = fields[0]
            guard !participant.isEmpty else { reject(header[0], "empty: the record id is the participant"); return }
            let event = eventColumn.map { fields[$0] }
            let visit: String
            if let event {
                guard let found = visitsByEvent[event] else { reject("redcap_event_name", "event \"\(event)\" is not an event of the protocol"); return }
                visit = found
            } else if let only = visitsByEvent.values.first ?? model.visits.first?.oid {
                visit = only
            } else {
                reject("redcap_event_name", "the protocol has no event"); return
            }
            let group = groupColumn.map { fields[$0] } ?? ""
            guard let site = group.isEmpty ? layout.site : group else {
                reject("redcap_data_access_group", "empty, and no site is set for rows without a data access group (--site)"); return
            }
            let zone = layout.zone(forSite: site)
            guard let dated = dateColumns.first(where: { !fields[$0].isEmpty }) else {
                if fieldColumns.contains(where: { !fields[$0.index].isEmpty }) {
                    reject(layout.dateFields.joined(separator: "|"), "no collection date: none of \(layout.dateFields.joined(separator: ", ")) is filled in this row")
                }
                return
            }
            let collected: TrialTime
            switch REDCapLayout.utc(fields[dated], zone: zone) {
            case let .success(time): collected = time
            case let .failure(problem): reject(header[dated], problem.description); return
            }
            if let problem = consents.problem(participant: participant, at: collected) {
                reject(header[dated], problem)
                return
            }
            for (position, item) in fieldColumns where !fields[position].isEmpty {
                var value = fields[position]
                // A checkbox option records a measurement when checked: REDCap writes 0 for an
                // unchecked option and for a form never filled alike, so 0 says nothing.
                if item.contains("___"), value == "0" { continue }
                if model.item(item)?.dataType == "datetime" {
                    switch REDCapLayout.utc(value, zone: zone) {
                    case let .success(time): value = time.description
                    case let .failure(problem): reject(item, problem.description); continue
                    }
                }
                let unit = layout.units[item]
                if let problem = validator.problem(visit: visit, item: item, value: value, unit: unit) {
                    reject(["visit": "redcap_event_name", "unit": "unit"][problem.field] ?? item, problem.reason)
                    continue
                }
                for warning in validator.softWarnings(item: item, value: value) {
                    state.chunk.warnings.append((index, record.line, item, warning))
                }
                state.accept(participant: participant, site: site, visit: visit, item: item, value: value, unit: unit,
                             collectedAt: collected.description, file: index, line: record.line)
                records += 1
            }
        }
        if let pending { throw pending }
        if header.isEmpty { throw CSVError.empty(file: file.name) }
        return (records, rejects)
    }
}
