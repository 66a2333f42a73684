import Attestation
import Foundation

/// The artifacts contract runs write: canonical JSON (RFC 8785), so the same contract over the
/// same anchored records gives the same bytes on any machine.
public enum ContractOutput {
    static func contractHeader(_ contract: ContractFile) -> JSONValue {
        ["name": .string(contract.name), "version": .integer(Int64(contract.version)), "type": .string(contract.type),
         "sha256": .string(contract.sha256), "file": .string((contract.path as NSString).lastPathComponent)]
    }

    static func refs(_ refs: [RecordRef]) -> JSONValue {
        .array(refs.map { ["id": .integer($0.id), "leafHash": .string($0.leafHash)] })
    }

    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func optional(_ value: Int?) -> JSONValue { value.map { .integer(Int64($0)) } ?? .null }

    /// The member holding one entry per participant: streamed, since it grows with the records.
    public static let participantsKey = "participants"

    /// The payouts artifact.
    public static func json(_ result: PayoutResult, contract: ContractFile) -> JSONValue {
        var members = payoutsHead(contract, currency: result.currency)
            .merging(payoutsTail(sites: result.sites, totals: result.totals, taxThreshold: result.taxThreshold)) { first, _ in first }
        members[participantsKey] = .array(result.participants.map(json))
        return .object(members)
    }

    /// The payouts members that sort before `participants`.
    static func payoutsHead(_ contract: ContractFile, currency: Currency) -> [String: JSONValue] {
        ["contract": contractHeader(contract),
         "currency": ["code": .string(currency.code), "minorUnits": .integer(Int64(currency.minorUnits))]]
    }

    /// The payouts members that sort after `participants`: known once every participant is evaluated.
    static func payoutsTail(sites: [PayoutResult.SiteTotal], totals: [PayoutResult.CurrencyTotal], taxThreshold: Int64?) -> [String: JSONValue] {
        [
            "taxThreshold": taxThreshold.map(JSONValue.integer) ?? .null,
            "sites": .array(sites.map {
                ["site": .string($0.site), "currency": .string($0.currency.code), "participants": .integer(Int64($0.participants)),
                 "total": .integer($0.total), "taxThreshold": $0.taxThreshold.map(JSONValue.integer) ?? .null,
                 "reportableParticipants": .integer(Int64($0.reportableParticipants))]
            }),
            "totals": .array(totals.map {
                ["currency": .string($0.currency.code), "minorUnits": .integer(Int64($0.currency.minorUnits)),
                 "participants": .integer(Int64($0.participants)), "total": .integer($0.total)]
            }),
        ]
    }

    /// One participant of the payouts artifact.
    static func json(_ p: PayoutResult.Participant) -> JSONValue {
        [
            "participant": .string(p.participant), "site": optional(p.site), "currency": .string(p.currency.code), "consentedAt": .string(p.consentedAt),
            "withdrawnAt": optional(p.withdrawnAt), "dayOne": optional(p.dayOne), "consentRecords": refs(p.consentRecords),
            "total": .integer(p.total),
            "taxYears": .array(p.taxYears.map { ["year": .integer(Int64($0.year)), "total": .integer($0.total), "reportable": .bool($0.reportable)] }),
            "lines": .array(p.lines.map { line in
                [
                    "milestone": .string(line.milestone), "visit": optional(line.visit), "visitName": optional(line.visitName),
                    "status": .string(line.status.rawValue),
                    "earnedOn": optional(line.earnedOn), "studyDay": optional(line.studyDay),
                    "window": line.window.map { ["from": .integer(Int64($0.lowerBound)), "to": .integer(Int64($0.upperBound))] } ?? .null,
                    "earned": .integer(line.earned), "amount": .integer(line.amount), "records": refs(line.records),
                    "notes": .array(line.notes.map(JSONValue.string)),
                ]
            }),
        ]
    }

    /// The adherence artifact.
    public static func json(_ result: AdherenceResult, contract: ContractFile) -> JSONValue {
        var members = adherenceHead(contract, arms: result.arms, overall: result.overall)
            .merging(adherenceTail(sites: result.sites, thresholdBasisPoints: result.thresholdBasisPoints)) { first, _ in first }
        members[participantsKey] = .array(result.participants.map(json))
        return .object(members)
    }

    /// The adherence members that sort before `participants` (the pooled arms and overall figures:
    /// the participants are spooled until they are known).
    static func adherenceHead(_ contract: ContractFile, arms: [AdherenceResult.Group], overall: AdherenceResult.Group) -> [String: JSONValue] {
        ["contract": contractHeader(contract), "arms": .array(arms.map(json)), "overall": json(overall)]
    }

    /// The adherence members that sort after `participants`.
    static func adherenceTail(sites: [AdherenceResult.Group], thresholdBasisPoints: Int) -> [String: JSONValue] {
        ["thresholdBasisPoints": .integer(Int64(thresholdBasisPoints)), "sites": .array(sites.map(json))]
    }

    static func json(_ g: AdherenceResult.Group) -> JSONValue {
        ["key": .string(g.key), "name": optional(g.name), "participants": .integer(Int64(g.participants)),
         "evaluable": .integer(Int64(g.evaluable)), "belowThreshold": .integer(Int64(g.belowThreshold)),
         "dosesScheduled": .integer(Int64(g.dosesScheduled)), "dosesTaken": .integer(Int64(g.dosesTaken)),
         "pooledBasisPoints": optional(g.pooledBasisPoints), "meanPdcBasisPoints": optional(g.meanPdcBasisPoints)]
    }

    /// One participant of the adherence artifact.
    static func json(_ p: AdherenceResult.Participant) -> JSONValue {
        [
            "participant": .string(p.participant), "site": optional(p.site), "arm": optional(p.arm),
            "periodFrom": optional(p.periodFrom), "periodTo": optional(p.periodTo), "daysInPeriod": .integer(Int64(p.daysInPeriod)),
            "dosesScheduled": .integer(Int64(p.dosesScheduled)), "dosesTaken": .integer(Int64(p.dosesTaken)),
            "daysCovered": .integer(Int64(p.daysCovered)), "pdcBasisPoints": optional(p.pdcBasisPoints),
            "dosesBasisPoints": optional(p.dosesBasisPoints), "belowThreshold": .bool(p.belowThreshold),
            "duplicateEntries": .integer(Int64(p.duplicateEntries)), "conflictingDays": .integer(Int64(p.conflictingDays)),
            "entriesOutsidePeriod": .integer(Int64(p.entriesOutsidePeriod)), "records": refs(p.records),
            "notes": .array(p.notes.map(JSONValue.string)),
        ]
    }
}
