@testable import Contracts
@testable import Ingest

/// A small protocol written out by hand: screening (day −14, −7/+0), baseline (day 1), week 2
/// (day 15, ±3), week 4 (day 29, ±3) and a repeating diary.
enum Fixtures {
    static func visit(_ oid: String, order: Int, day: Int?, before: Int?, after: Int?, items: [String]) -> TrialProtocol.Visit {
        TrialProtocol.Visit(oid: oid, name: oid, order: order, repeating: day == nil, plannedDay: day, windowBefore: before,
                            windowAfter: after, armOIDs: [], itemOIDs: items)
    }

    static func item(_ oid: String, _ type: String, codeList: String? = nil) -> TrialProtocol.Item {
        TrialProtocol.Item(oid: oid, name: oid, dataType: type, length: 5, significantDigits: nil, codeListOID: codeList, unit: nil, rangeChecks: [])
    }

    static let trialProtocol: TrialProtocol = {
        let vitals = ["IT.HR", "IT.SYSBP"]
        let visits: [TrialProtocol.Visit] = [
            visit("SE.SCR", order: 1, day: -14, before: 7, after: 0, items: vitals),
            visit("SE.BL", order: 2, day: 1, before: 0, after: 0, items: vitals + ["IT.ARM"]),
            visit("SE.W2", order: 3, day: 15, before: 3, after: 3, items: vitals),
            visit("SE.W4", order: 4, day: 29, before: 3, after: 3, items: vitals),
            visit("SE.DIARY", order: 5, day: nil, before: nil, after: nil, items: ["IT.DOSE"]),
        ]
        let items: [TrialProtocol.Item] = [item("IT.HR", "integer"), item("IT.SYSBP", "integer"), item("IT.ARM", "text", codeList: "CL.ARM"),
                                           item("IT.DOSE", "text", codeList: "CL.NY")]
        let codeLists: [TrialProtocol.CodeList] = [TrialProtocol.CodeList(oid: "CL.NY", dataType: "text", values: ["N", "Y"]),
                                                   TrialProtocol.CodeList(oid: "CL.ARM", dataType: "text", values: ["ARM.A", "ARM.B"])]
        let arms: [TrialProtocol.Arm] = [TrialProtocol.Arm(oid: "ARM.A", name: "Active"), TrialProtocol.Arm(oid: "ARM.B", name: "Placebo")]
        return TrialProtocol(studyOID: "TEST", studyName: "TEST", metaDataVersionOID: "MDV.1", odmVersion: "1.3.2", windowSource: "trialchain",
                             visits: visits, items: items, codeLists: codeLists, arms: arms, approvedConsentVersions: ["1.0"], schemaWarnings: [])
    }()

    /// Builds a participant's observations with consecutive ids from `firstID`.
    struct Builder {
        var next: Int64
        var site: String
        var observations: [Observation] = []

        init(firstID: Int64, site: String) {
            next = firstID
            self.site = site
        }

        mutating func add(_ visit: String, _ item: String = "IT.HR", _ value: String = "70", at time: String) {
            observations.append(Observation(id: next, leafHash: String(repeating: String(format: "%02x", next % 256), count: 32), site: site,
                                            visit: visit, item: item, value: value, observedAt: TrialTime(time)!))
            next += 1
        }

        /// A diary entry at 21:00 UTC on a date.
        mutating func diary(_ date: String, _ value: String = "Y") { add("SE.DIARY", "IT.DOSE", value, at: date + "T21:00:00Z") }
    }

    static func participant(_ id: String, consented: String = "2026-01-01T00:00:00Z", withdrawn: String? = nil,
                            _ observations: [Observation]) -> ParticipantData {
        ParticipantData(participant: id, consentedAt: TrialTime(consented)!, withdrawnAt: withdrawn.map { TrialTime($0)! },
                        consentRecords: [RecordRef(id: 1, leafHash: String(repeating: "c", count: 64))], observations: observations)
    }

    static func contract(_ text: String) throws -> ContractFile { try ContractFile(text: text, file: "test.yml") }
}
