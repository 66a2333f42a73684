@testable import Contracts
import Ingest
import Testing

/// Every payout rule against expectations computed by hand (amounts in cents).
///
/// Terms: screening 25.00 on time / 10.00 late; baseline 50.00; week 2 40.00 / 20.00 late /
/// 5.00 early; week 4 40.00 / nothing late or early; bonus when week 4 is completed: 30.00 +
/// 5.00 per visit on time, at most 40.00; at most 150.00 per participant; tax reporting from
/// 100.00 a year. Baseline on 2026-03-01 is study day 1.
@Suite("Payout rules, computed by hand")
struct PayoutRuleTests {
    static let terms: PayoutTerms = {
        let eur = Currency(code: "EUR")!
        return PayoutTerms(currency: eur, dayOne: "SE.BL", visits: [
            .init(visit: "SE.SCR", onTime: 2500, late: 1000),
            .init(visit: "SE.BL", onTime: 5000),
            .init(visit: "SE.W2", onTime: 4000, late: 2000, early: 500),
            .init(visit: "SE.W4", onTime: 4000),
        ], bonus: .init(requires: ["SE.W4"], amount: 3000, perOnTimeVisit: 500, cap: 4000), participantCap: 15000, taxThreshold: 10000)
    }()

    func evaluate(_ participants: [ParticipantData], terms: PayoutTerms = PayoutRuleTests.terms) -> PayoutResult {
        try! PayoutEvaluator(terms: terms).evaluate(ContractInputs(trialProtocol: Fixtures.trialProtocol, participants: participants))
    }

    func line(_ p: PayoutResult.Participant, _ visit: String?) -> PayoutResult.Line {
        p.lines.first { $0.visit == visit }!
    }

    @Test func allOnTimeHitsTheBonusCapThenTheParticipantCap() throws {
        var b = Fixtures.Builder(firstID: 100, site: "101")
        b.add("SE.SCR", at: "2026-02-15T09:00:00Z")            // day −14: on time
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")             // day 1
        b.add("SE.BL", "IT.SYSBP", "120", at: "2026-03-01T09:05:00Z")
        b.add("SE.W2", at: "2026-03-15T09:00:00Z")             // day 15
        b.add("SE.W4", at: "2026-03-29T09:00:00Z")             // day 29
        let p = evaluate([Fixtures.participant("P-A", b.observations)]).participants[0]
        #expect(p.dayOne == "2026-03-01")
        #expect(line(p, "SE.SCR").status == .onTime && line(p, "SE.SCR").studyDay == -14 && line(p, "SE.SCR").window == -21...(-14))
        #expect(line(p, "SE.BL").records.map(\.id) == [101, 102], "both baseline records of the day are the evidence")
        // 25 + 50 + 40 = 115 by 15 March; week 4's 40 would make 155 > 150: 35 paid; the bonus
        // (30 + 4 × 5 = 50, capped at 40) comes after the cap is reached: nothing paid.
        #expect(line(p, "SE.W4").earned == 4000 && line(p, "SE.W4").amount == 3500)
        let bonus = line(p, nil)
        #expect(bonus.status == .earned && bonus.earned == 4000 && bonus.amount == 0 && bonus.earnedOn == "2026-03-29")
        #expect(bonus.notes.contains { $0.contains("bonus cap 40.00 applied (computed 50.00)") })
        #expect(bonus.notes.contains { $0.contains("participant cap 150.00 reached: 0.00 of 40.00 paid") })
        #expect(bonus.records.map(\.id) == [104])
        #expect(p.total == 15000)
        #expect(p.taxYears == [.init(year: 2026, total: 15000, reportable: true)])
    }

    @Test func lateAndEarlyVisitsGetTheirReducedAmountsAndMissedOnesNothing() {
        var b = Fixtures.Builder(firstID: 200, site: "101")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.W2", at: "2026-03-19T09:00:00Z")             // day 19: one day after 12…18
        b.add("SE.W4", at: "2026-03-22T09:00:00Z")             // day 22: four days before 26…32
        let p = evaluate([Fixtures.participant("P-B", b.observations)]).participants[0]
        #expect(line(p, "SE.SCR").status == .notCompleted && line(p, "SE.SCR").amount == 0 && line(p, "SE.SCR").records.isEmpty)
        #expect(line(p, "SE.W2").status == .late && line(p, "SE.W2").amount == 2000 && line(p, "SE.W2").notes == ["1 day(s) after the window"])
        #expect(line(p, "SE.W4").status == .early && line(p, "SE.W4").amount == 0 && line(p, "SE.W4").notes == ["4 day(s) before the window"])
        // Week 4 was completed (early), so the bonus is earned: 30 + 1 visit on time × 5 = 35.
        #expect(line(p, nil).amount == 3500)
        #expect(p.total == 5000 + 2000 + 0 + 3500)
        #expect(p.taxYears == [.init(year: 2026, total: 10500, reportable: true)])
    }

    @Test func windowEdgesAreInclusive() {
        for (date, status) in [("2026-03-12", PayoutResult.Status.onTime), ("2026-03-18", .onTime), ("2026-03-11", .early), ("2026-03-19", .late)] {
            var b = Fixtures.Builder(firstID: 1, site: "101")
            b.add("SE.BL", at: "2026-03-01T23:59:59Z")
            b.add("SE.W2", at: date + "T00:00:00Z")
            let p = evaluate([Fixtures.participant("P", b.observations)]).participants[0]
            #expect(line(p, "SE.W2").status == status, "\(date)")
        }
    }

    @Test func withdrawalKeepsEarnedCreditAndEarnsNothingAfter() {
        var b = Fixtures.Builder(firstID: 300, site: "102")
        b.add("SE.SCR", at: "2026-02-20T09:00:00Z")            // day −9: 5 days after −21…−14 → late 10.00
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.W2", at: "2026-03-18T09:00:00Z")             // day 18: on time
        b.add("SE.W2", at: "2026-03-20T09:00:00Z")             // the same visit recorded again
        b.add("SE.W4", at: "2026-03-29T09:00:00Z")             // after the withdrawal
        let p = evaluate([Fixtures.participant("P-C", withdrawn: "2026-03-25T00:00:00Z", b.observations)]).participants[0]
        #expect(line(p, "SE.SCR").amount == 1000 && line(p, "SE.SCR").status == .late)
        #expect(line(p, "SE.W2").amount == 4000 && line(p, "SE.W2").records.map(\.id) == [302])
        #expect(line(p, "SE.W2").notes == ["also recorded on 2026-03-20: paid once"])
        #expect(line(p, "SE.W4").status == .afterWithdrawal && line(p, "SE.W4").amount == 0)
        #expect(line(p, nil).status == .notEarned && line(p, nil).amount == 0)
        #expect(p.withdrawnAt == "2026-03-25T00:00:00Z")
        // 10 + 50 + 40 = 100.00: exactly the threshold, so reportable.
        #expect(p.total == 10000 && p.taxYears == [.init(year: 2026, total: 10000, reportable: true)])
    }

    @Test func withoutDayOneVisitsArePaidAsOutOfWindow() {
        var b = Fixtures.Builder(firstID: 400, site: "102")
        b.add("SE.SCR", at: "2026-02-01T09:00:00Z")
        b.add("SE.W2", at: "2026-02-20T09:00:00Z")
        let p = evaluate([Fixtures.participant("P-D", b.observations)]).participants[0]
        #expect(p.dayOne == nil)
        #expect(line(p, "SE.SCR").status == .noDayOne && line(p, "SE.SCR").amount == 1000 && line(p, "SE.SCR").studyDay == nil)
        #expect(line(p, "SE.W2").amount == 2000)
        #expect(p.total == 3000 && p.taxYears == [.init(year: 2026, total: 3000, reportable: false)])
    }

    @Test func taxIsPerCalendarYear() {
        var b = Fixtures.Builder(firstID: 500, site: "103")
        b.add("SE.BL", at: "2025-12-31T09:00:00Z")
        b.add("SE.W2", at: "2026-01-14T09:00:00Z")             // day 15
        let p = evaluate([Fixtures.participant("P-E", b.observations)]).participants[0]
        // 90.00 in total, but 50.00 in 2025 and 40.00 in 2026: neither year reaches 100.00.
        #expect(p.taxYears == [.init(year: 2025, total: 5000, reportable: false), .init(year: 2026, total: 4000, reportable: false)])
    }

    @Test func requiredItemsDecideWhenAVisitIsComplete() {
        var terms = Self.terms
        terms.visits[0].items = ["IT.HR", "IT.SYSBP"]
        var b = Fixtures.Builder(firstID: 600, site: "101")
        b.add("SE.SCR", "IT.HR", at: "2026-02-14T09:00:00Z")
        b.add("SE.SCR", "IT.HR", at: "2026-02-15T09:00:00Z")
        b.add("SE.SCR", "IT.SYSBP", "120", at: "2026-02-16T09:00:00Z")  // complete on day −13: late
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        let p = evaluate([Fixtures.participant("P-F", b.observations)], terms: terms).participants[0]
        #expect(line(p, "SE.SCR").status == .late && line(p, "SE.SCR").earnedOn == "2026-02-16" && line(p, "SE.SCR").records.map(\.id) == [600, 602])
        var partial = Fixtures.Builder(firstID: 700, site: "101")
        partial.add("SE.SCR", "IT.HR", at: "2026-02-14T09:00:00Z")
        let q = evaluate([Fixtures.participant("P-G", partial.observations)], terms: terms).participants[0]
        #expect(line(q, "SE.SCR").status == .notCompleted && line(q, "SE.SCR").notes == ["missing items: IT.SYSBP"])
    }

    @Test func sitesAndTheTrialAreTotalled() {
        var a = Fixtures.Builder(firstID: 1, site: "101")
        a.add("SE.BL", at: "2026-03-01T09:00:00Z")
        var b = Fixtures.Builder(firstID: 10, site: "101")
        b.add("SE.BL", at: "2026-03-02T09:00:00Z")
        var c = Fixtures.Builder(firstID: 20, site: "102")
        c.add("SE.BL", at: "2026-03-03T09:00:00Z")
        c.add("SE.W2", at: "2026-03-17T09:00:00Z")
        let result = evaluate([Fixtures.participant("P-3", c.observations), Fixtures.participant("P-1", a.observations),
                               Fixtures.participant("P-2", b.observations), Fixtures.participant("P-0", [])])
        #expect(result.participants.map(\.participant) == ["P-0", "P-1", "P-2", "P-3"])
        let eur = Currency(code: "EUR")!
        #expect(result.sites == [.init(site: "(none)", currency: eur, taxThreshold: 10000, participants: 1, total: 0, reportableParticipants: 0),
                                 .init(site: "101", currency: eur, taxThreshold: 10000, participants: 2, total: 10000, reportableParticipants: 0),
                                 .init(site: "102", currency: eur, taxThreshold: 10000, participants: 1, total: 9000, reportableParticipants: 0)])
        #expect(result.total == 19000)
    }
}
