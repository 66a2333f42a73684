@testable import Contracts
@testable import Ingest
import Testing

/// Issue 13: one reading of each rule that two readers disagreed on, each computed by hand.
@Suite("One reading of every payout and adherence rule")
struct ContractRulingTests {
    static let eur = Currency(code: "EUR")!

    static func terms(noDayOne: PayoutTerms.NoDayOne = .late, visits: [PayoutTerms.VisitRule]? = nil) -> PayoutTerms {
        PayoutTerms(currency: eur, dayOne: "SE.BL", visits: visits ?? [
            .init(visit: "SE.SCR", onTime: 2500, late: 1000),
            .init(visit: "SE.BL", onTime: 5000),
            .init(visit: "SE.W2", onTime: 4000, late: 2000, early: 500),
        ], noDayOne: noDayOne)
    }

    func evaluate(_ participants: [ParticipantData], _ terms: PayoutTerms = ContractRulingTests.terms(), model: TrialProtocol = Fixtures.trialProtocol) throws -> PayoutResult {
        try PayoutEvaluator(terms: terms).evaluate(ContractInputs(trialProtocol: model, participants: participants))
    }

    /// 1. Screening in its window, withdrawal, then baseline: the baseline records are no
    /// completion and no day one; screening earns what the contract's `no-day-one` says.
    @Test(arguments: [(PayoutTerms.NoDayOne.late, Int64(1000)), (.onTime, 2500), (.amount(700), 700)])
    func recordsAfterAWithdrawalAreNeverEvidence(rule: PayoutTerms.NoDayOne, screeningPays: Int64) throws {
        var b = Fixtures.Builder(firstID: 10, site: "101")
        b.add("SE.SCR", at: "2026-02-15T09:00:00Z")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")            // after the withdrawal below
        let data = Fixtures.participant("P-W", withdrawn: "2026-02-20T00:00:00Z", b.observations)
        let p = try evaluate([data], Self.terms(noDayOne: rule)).participants[0]
        #expect(p.dayOne == nil, "a day-one visit recorded after withdrawal is not day one")
        let baseline = try #require(p.lines.first { $0.visit == "SE.BL" })
        #expect(baseline.status == .afterWithdrawal && baseline.earnedOn == nil && baseline.studyDay == nil && baseline.records.isEmpty && baseline.amount == 0)
        #expect(baseline.notes.contains { $0.contains("recorded only after withdrawal on 2026-02-20") && $0.contains("not a completion") }, "\(baseline.notes)")
        let screening = try #require(p.lines.first { $0.visit == "SE.SCR" })
        #expect(screening.status == .noDayOne && screening.amount == screeningPays)
        #expect(screening.notes.contains { $0.contains("SE.BL was not completed before withdrawal") }, "\(screening.notes)")
        #expect(p.total == screeningPays)
    }

    @Test func aVisitWithRecordsBeforeAndAfterWithdrawalIsJudgedOnTheRecordsBefore() throws {
        var b = Fixtures.Builder(firstID: 20, site: "101")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.W2", at: "2026-03-25T09:00:00Z")             // late, after withdrawal: not counted
        let p = try evaluate([Fixtures.participant("P-X", withdrawn: "2026-03-10T00:00:00Z", b.observations)]).participants[0]
        let week2 = try #require(p.lines.first { $0.visit == "SE.W2" })
        #expect(week2.status == .afterWithdrawal && week2.records.isEmpty)
    }

    @Test func theNoDayOneRuleIsReadFromTheContract() throws {
        let base = """
            contract: c
            version: 1
            type: payouts
            currency: EUR
            day-one: SE.BL
            visits:
              - visit: SE.SCR
                on-time: 25.00
                late: 10.00
            """
        guard case let .payouts(late) = try Fixtures.contract(base).terms,
              case let .payouts(onTime) = try Fixtures.contract(base + "\nno-day-one: on-time").terms,
              case let .payouts(fixed) = try Fixtures.contract(base + "\nno-day-one: 7.50").terms else { Issue.record("not payouts"); return }
        #expect(late.noDayOne == .late && onTime.noDayOne == .onTime && fixed.noDayOne == .amount(750))
        #expect(throws: ContractError.self) { try Fixtures.contract(base + "\nno-day-one: sometimes") }
    }

    /// 2. A window is counted in calendar days around the planned date: planned day −1 with two
    /// days after reaches study day 2 (calendar day one + 1), not day 1.
    @Test func aWindowAcrossDayOneNeverLosesTheMissingDayZero() throws {
        var visits = Fixtures.trialProtocol.visits
        visits[0] = Fixtures.visit("SE.SCR", order: 1, day: -1, before: 0, after: 2, items: ["IT.HR", "IT.SYSBP"])
        var model = Fixtures.trialProtocol
        model.visits = visits
        var b = Fixtures.Builder(firstID: 30, site: "101")
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.SCR", at: "2026-03-02T09:00:00Z")            // study day 2: the window's last day
        let p = try evaluate([Fixtures.participant("P-D", b.observations)], model: model).participants[0]
        let screening = try #require(p.lines.first { $0.visit == "SE.SCR" })
        #expect(screening.window == -1...2)
        #expect(screening.studyDay == 2 && screening.status == .onTime && screening.amount == 2500)
        #expect(StudyCalendar.window(of: visits[0]) == -1...2)
        #expect(StudyCalendar.window(of: Fixtures.visit("V", order: 9, day: 2, before: 2, after: 0, items: [])) == -1...2, "day 2 minus 2 calendar days is day −1")
    }

    /// 3. "First" means the earliest collected record (ties: the first stored), for the site as
    /// for a visit's completion.
    @Test func aParticipantsSiteIsThatOfTheirEarliestCollectedRecord() throws {
        var late = Fixtures.Builder(firstID: 40, site: "102")
        late.add("SE.W2", at: "2026-03-15T09:00:00Z")          // stored first, collected later
        var early = Fixtures.Builder(firstID: 41, site: "101")
        early.add("SE.BL", at: "2026-03-01T09:00:00Z")
        let data = Fixtures.participant("P-S", late.observations + early.observations)
        #expect(data.site == "101")
        #expect(try evaluate([data]).participants[0].site == "101")
    }

    /// 4. The mean PDC is the mean of the exact fractions, rounded once: 1/8 and 1/6 average
    /// 14.583…%, so 1458; averaging the rounded 1250 and 1667 would give 1459.
    @Test func theMeanPDCIsTheExactMeanRoundedOnce() {
        #expect(AdherenceEvaluator.meanBasisPoints([(1, 8), (1, 6)]) == 1458)
        #expect(AdherenceEvaluator.meanBasisPoints([(1, 8), (1, 8)]) == 1250)
        #expect(AdherenceEvaluator.meanBasisPoints([(1, 3), (2, 3), (1, 2)]) == 5000)
        #expect(AdherenceEvaluator.meanBasisPoints([(1, 20_000), (0, 1)]) == 0, "0.25 basis points rounds down")
        #expect(AdherenceEvaluator.meanBasisPoints([(1, 10_000), (0, 1)]) == 1, "0.5 basis points rounds up")
        #expect(AdherenceEvaluator.meanBasisPoints([]) == nil)
        // Many distinct period lengths (the exact denominator outgrows 64 bits): still exact.
        let many = (1...400).map { (covered: $0 / 3, days: $0) }
        let exact = many.reduce(0.0) { $0 + Double($1.covered) / Double($1.days) } / 400 * 10_000
        #expect(AdherenceEvaluator.meanBasisPoints(many) == Int(exact.rounded(.toNearestOrAwayFromZero)))
    }

    /// 5. Amounts past the stated maximum are refused when the contract is read, naming the
    /// file, line and key; sums that would not fit are an error, never a crash.
    @Test func tooLargeAnAmountIsAContractErrorWithItsLineAndKey() throws {
        let text = """
            contract: kwd
            version: 1
            type: payouts
            currency: KWD
            day-one: SE.BL
            visits:
              - visit: SE.SCR
                on-time: 999999999999999.999
            """
        do {
            _ = try Fixtures.contract(text)
            Issue.record("an amount past the maximum was accepted")
        } catch let ContractError.invalid(file, line, key, message) {
            #expect(file == "test.yml" && line == 8 && key == "on-time", "\(line) \(key)")
            #expect(message.contains("at most 9999999.999 KWD"), "\(message)")
        }
        // The largest amount is accepted.
        _ = try Fixtures.contract(text.replacingOccurrences(of: "999999999999999.999", with: "9999999.999"))
        let sum = Int64.max / 2 + 1
        let evaluator = PayoutEvaluator(terms: Self.terms())
        let huge = PayoutResult.Participant(participant: "P-1", site: "101", currency: Self.eur, consentedAt: "", withdrawnAt: nil, dayOne: nil, consentRecords: [],
                                            lines: [], total: sum, taxYears: [])
        var other = huge
        other.participant = "P-2"
        #expect(throws: ContractError.self) { try evaluator.assemble([huge, other]) }
    }
}
