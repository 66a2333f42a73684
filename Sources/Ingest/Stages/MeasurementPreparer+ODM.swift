import Attestation
import Foundation
import Workspace

/// The measurement stage's reader for CDISC ODM 1.3 `ClinicalData` files (`*.xml`): each
/// `ItemData` is one measurement: subject → participant, `SiteRef` → site, study event → visit,
/// item → item, checked like a CSV row (protocol, consent) and stored the same way, with its line.
extension MeasurementPreparer {
    /// - parameter copy: receives the file's bytes as read.
    /// - returns: the file's records and rejects.
    /// - throws: `XMLStreamError` for a file that is not this study's ClinicalData.
    func readODM(_ file: InputFile, index: Int, _ state: State, copyingInto copy: HashingOutput,
                 flushIfFull: () throws -> Void) throws -> (records: Int, rejects: Int) {
        let model = validator.trialProtocol
        let settings = layout.redcap
        var records = 0, rejects = 0
        try ODMClinicalDataReader(path: file.url.path, file: file.name, studyOID: model.studyOID).read(observing: { copy.write($0) }) { values in
            func reject(_ value: ODMValue, _ field: String, _ reason: String) {
                state.chunk.rejects.append(StageReject(file: file.name, line: value.line, field: field, reason: reason,
                                                       raw: "SubjectKey=\(value.participant), StudyEventOID=\(value.visit), ItemOID=\(value.item)"))
                rejects += 1
            }
            // Without audit records (a REDCap ODM export, say), the event's first filled date
            // field (the REDCap settings' --date-field) dates its values.
            let dateField = settings.flatMap { settings in
                settings.dateFields.lazy.compactMap { field in values.first { $0.item == field && !$0.removed && !($0.value ?? "").isEmpty } }.first
            }
            for value in values where !value.removed {
                guard let text = value.value, !text.isEmpty else { continue }
                guard !value.participant.isEmpty else { reject(value, "SubjectData/@SubjectKey", "empty: the subject key is the participant"); continue }
                guard let site = value.site ?? settings?.site else {
                    reject(value, "SiteRef", "no SiteRef for this subject, and no site is set (--site)")
                    continue
                }
                let zone = settings?.zone(forSite: site)
                guard let stampText = value.stamp ?? dateField?.value else {
                    reject(value, "AuditRecord/DateTimeStamp", "no collection time: no AuditRecord dates this value"
                           + (settings == nil ? " (name a date field with --layout redcap --date-field)" : ", and none of \(settings!.dateFields.joined(separator: ", ")) is filled in its event"))
                    continue
                }
                let collected: TrialTime
                switch REDCapLayout.utc(stampText, zone: zone) {
                case let .success(time): collected = time
                case let .failure(problem): reject(value, "AuditRecord/DateTimeStamp", problem.description); continue
                }
                var measured = text
                if model.item(value.item)?.dataType == "datetime", TrialTime(measured) == nil {
                    switch REDCapLayout.utc(measured, zone: zone) {
                    case let .success(time): measured = time.description
                    case let .failure(problem): reject(value, value.item, problem.description); continue
                    }
                }
                let unit = settings?.units[value.item]
                if let problem = validator.problem(visit: value.visit, item: value.item, value: measured, unit: unit) {
                    reject(value, ["visit": "StudyEventData/@StudyEventOID", "item": "ItemData/@ItemOID", "unit": "unit"][problem.field] ?? value.item, problem.reason)
                    continue
                }
                if let problem = consents.problem(participant: value.participant, at: collected) {
                    reject(value, "AuditRecord/DateTimeStamp", problem)
                    continue
                }
                for warning in validator.softWarnings(item: value.item, value: measured) {
                    state.chunk.warnings.append((index, value.line, value.item, warning))
                }
                state.accept(participant: value.participant, site: site, visit: value.visit, item: value.item, value: measured, unit: unit,
                             collectedAt: collected.description, file: index, line: value.line)
                records += 1
            }
            try flushIfFull()
        }
        return (records, rejects)
    }
}
