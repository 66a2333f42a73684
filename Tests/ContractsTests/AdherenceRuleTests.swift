@testable import Contracts
import Ingest
import Testing

/// Adherence against expectations computed by hand. Terms: the diary item IT.DOSE at SE.DIARY,
/// "Y" means taken, one dose a day for 10 days from the baseline date, threshold 80%.
@Suite("Adherence rules, computed by hand")
struct AdherenceRuleTests {
    static let terms = AdherenceTerms(dosingVisit: "SE.DIARY", dosingItem: "IT.DOSE", takenValues: ["Y"], dosesPerDay: 1, periodFrom: "SE.BL",
                                      periodDays: 10, armItem: "IT.ARM", armVisit: "SE.BL", thresholdBasisPoints: 8000)

    func evaluate(_ participants: [ParticipantData], terms: AdherenceTerms = AdherenceRuleTests.terms) -> AdherenceResult {
        AdherenceEvaluator(terms: terms).evaluate(ContractInputs(trialProtocol: Fixtures.trialProtocol, participants: participants))
    }

    static func days(_ from: Int, _ through: Int) -> [String] { (from...through).map { "2026-03-\($0 < 10 ? "0" : "")\($0)" } }

    /// P1: 8 of 10 days, plus an entry after the period: exactly 80%, not flagged.
    static var p1: ParticipantData {
        var b = Fixtures.Builder(firstID: 100, site: "101")
        b.add("SE.BL", "IT.ARM", "ARM.A", at: "2026-03-01T09:00:00Z")
        for day in days(1, 8) { b.diary(day) }
        b.diary("2026-03-11")
        return Fixtures.participant("P1", b.observations)
    }

    /// P2: 6 days taken, 2 March entered twice, 7 March "N" then "Y": 7 of 10 days (70%), flagged.
    static var p2: ParticipantData {
        var b = Fixtures.Builder(firstID: 200, site: "101")
        b.add("SE.BL", "IT.ARM", "ARM.A", at: "2026-03-01T09:00:00Z")
        for day in days(1, 6) { b.diary(day) }
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-02T22:00:00Z")
        b.add("SE.DIARY", "IT.DOSE", "N", at: "2026-03-07T08:00:00Z")
        b.diary("2026-03-07")
        return Fixtures.participant("P2", b.observations)
    }

    /// P3: a baseline but no diary at all: 0%, flagged.
    static var p3: ParticipantData {
        var b = Fixtures.Builder(firstID: 300, site: "102")
        b.add("SE.BL", "IT.ARM", "ARM.B", at: "2026-03-01T09:00:00Z")
        return Fixtures.participant("P3", b.observations)
    }

    /// P4: diary entries but no baseline: no dose scheduled, no ratio, not flagged.
    static var p4: ParticipantData {
        var b = Fixtures.Builder(firstID: 400, site: "102")
        b.diary("2026-03-02")
        return Fixtures.participant("P4", b.observations)
    }

    /// P5: withdrew at noon on 5 March: 5 days scheduled (1–5 March), all taken: 100%.
    static var p5: ParticipantData {
        var b = Fixtures.Builder(firstID: 500, site: "102")
        b.add("SE.BL", "IT.ARM", "ARM.B", at: "2026-03-01T09:00:00Z")
        for day in days(1, 4) { b.diary(day) }
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-05T08:00:00Z")
        return Fixtures.participant("P5", withdrawn: "2026-03-05T12:00:00Z", b.observations)
    }

    @Test func participantsComeOutAsComputedByHand() {
        let result = evaluate([Self.p5, Self.p3, Self.p1, Self.p4, Self.p2])
        let byID = Dictionary(uniqueKeysWithValues: result.participants.map { ($0.participant, $0) })
        let p1 = byID["P1"]!
        #expect(p1.periodFrom == "2026-03-01" && p1.periodTo == "2026-03-10" && p1.daysInPeriod == 10)
        #expect(p1.dosesScheduled == 10 && p1.dosesTaken == 8 && p1.daysCovered == 8 && p1.pdcBasisPoints == 8000 && p1.dosesBasisPoints == 8000)
        #expect(!p1.belowThreshold, "exactly at the threshold is not below it")
        #expect(p1.entriesOutsidePeriod == 1 && p1.records.map(\.id) == Array(100...108))
        let p2 = byID["P2"]!
        #expect(p2.daysCovered == 7 && p2.dosesTaken == 7 && p2.pdcBasisPoints == 7000 && p2.belowThreshold)
        #expect(p2.duplicateEntries == 2 && p2.conflictingDays == 1)
        #expect(p2.notes.contains("2 duplicate diary entries counted once") && p2.notes.contains("1 day(s) with conflicting entries"))
        let p3 = byID["P3"]!
        #expect(p3.dosesScheduled == 10 && p3.dosesTaken == 0 && p3.pdcBasisPoints == 0 && p3.belowThreshold && p3.notes == ["no diary entries in the period"])
        let p4 = byID["P4"]!
        #expect(p4.dosesScheduled == 0 && p4.pdcBasisPoints == nil && p4.dosesBasisPoints == nil && !p4.belowThreshold && p4.periodFrom == nil)
        #expect(p4.entriesOutsidePeriod == 1 && p4.arm == nil && p4.notes == ["no doses scheduled: SE.BL not completed"])
        let p5 = byID["P5"]!
        #expect(p5.daysInPeriod == 5 && p5.periodTo == "2026-03-05" && p5.dosesTaken == 5 && p5.pdcBasisPoints == 10_000 && !p5.belowThreshold)
        #expect(p5.notes == ["withdrew 2026-03-05: period ends there"])
    }

    @Test func armsSitesAndOverallArePooled() {
        let result = evaluate([Self.p1, Self.p2, Self.p3, Self.p4, Self.p5])
        #expect(result.arms.map(\.key) == ["(unassigned)", "ARM.A", "ARM.B"])
        let a = result.arms[1]
        #expect(a.name == "Active" && a.participants == 2 && a.evaluable == 2 && a.belowThreshold == 1)
        #expect(a.dosesScheduled == 20 && a.dosesTaken == 15 && a.pooledBasisPoints == 7500 && a.meanPdcBasisPoints == 7500)
        let b = result.arms[2]
        // P3 0/10 and P5 5/5: pooled 5/15 = 33.33%, mean of 0% and 100% = 50%.
        #expect(b.dosesScheduled == 15 && b.dosesTaken == 5 && b.pooledBasisPoints == 3333 && b.meanPdcBasisPoints == 5000 && b.belowThreshold == 1)
        #expect(result.arms[0].evaluable == 0 && result.arms[0].pooledBasisPoints == nil && result.arms[0].meanPdcBasisPoints == nil)
        #expect(result.sites.map(\.key) == ["101", "102"] && result.sites[1].participants == 3 && result.sites[1].evaluable == 2)
        #expect(result.overall.participants == 5 && result.overall.evaluable == 4 && result.overall.belowThreshold == 2)
        #expect(result.overall.dosesScheduled == 35 && result.overall.dosesTaken == 20 && result.overall.pooledBasisPoints == 5714)
    }

    @Test func twoDosesADaySeparateDaysCoveredFromDosesTaken() {
        var terms = Self.terms
        terms.dosesPerDay = 2
        terms.periodDays = 2
        var b = Fixtures.Builder(firstID: 1, site: "101")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-01T08:00:00Z")
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-01T20:00:00Z")
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-01T21:00:00Z")   // a third dose on a two-dose day: a duplicate
        b.add("SE.DIARY", "IT.DOSE", "Y", at: "2026-03-02T08:00:00Z")
        let p = evaluate([Fixtures.participant("P", b.observations)], terms: terms).participants[0]
        #expect(p.dosesScheduled == 4 && p.dosesTaken == 3 && p.daysCovered == 1)
        #expect(p.dosesBasisPoints == 7500 && p.pdcBasisPoints == 5000 && p.belowThreshold && p.duplicateEntries == 1)
    }

    @Test func aPeriodEndingAtAVisitUsesItsDateOrElseItsPlannedDay() {
        var terms = Self.terms
        terms.periodDays = nil
        terms.periodTo = "SE.W2"
        var b = Fixtures.Builder(firstID: 1, site: "101")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.W2", at: "2026-03-13T09:00:00Z")
        #expect(evaluate([Fixtures.participant("P", b.observations)], terms: terms).participants[0].daysInPeriod == 12)
        var c = Fixtures.Builder(firstID: 1, site: "101")
        c.add("SE.BL", at: "2026-03-01T09:00:00Z")
        let missing = evaluate([Fixtures.participant("P", c.observations)], terms: terms).participants[0]
        #expect(missing.daysInPeriod == 14 && missing.notes.first == "SE.W2 not completed: period runs to its planned day 15")
    }

    @Test func ratiosRoundHalfUp() {
        #expect(AdherenceResult.basisPoints(1, 3) == 3333 && AdherenceResult.basisPoints(2, 3) == 6667)
        #expect(AdherenceResult.basisPoints(1, 32) == 313 && AdherenceResult.basisPoints(0, 5) == 0 && AdherenceResult.basisPoints(1, 0) == nil)
        #expect(AdherenceResult.percent(8750) == "87.50%" && AdherenceResult.percent(5) == "0.05%" && AdherenceResult.percent(nil) == "n/a")
        #expect(ContractFile.basisPoints(percent: "80") == 8000 && ContractFile.basisPoints(percent: "80%") == 8000)
        #expect(ContractFile.basisPoints(percent: "87.5") == 8750 && ContractFile.basisPoints(percent: "87.555") == nil)
    }
}
