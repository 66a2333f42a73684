@testable import Contracts
@testable import Ingest
import Testing

/// Issue 13: sites in other countries pay in their own currency; totals are per currency and
/// never summed across currencies; the tax threshold is per currency.
@Suite("Multi-country contracts")
struct MultiCountryTests {
    static let text = """
        contract: multi
        version: 1
        type: payouts
        currency: EUR
        day-one: SE.BL
        visits:
          - visit: SE.BL
            on-time: 50.00
          - visit: SE.W2
            on-time: 40.00
            late: 20.00
        tax-reporting: {threshold: 80.00}
        sites:
          "102":
            currency: JPY
            visits:
              SE.BL: {on-time: 8000}
              SE.W2: {on-time: 6000, late: 3000}
            tax-reporting: {threshold: 20000}
          "103":
            visits:
              SE.W2: {on-time: 45.00}
        """

    func terms(_ text: String = MultiCountryTests.text) throws -> PayoutTerms {
        guard case let .payouts(terms) = try Fixtures.contract(text).terms else { throw ContractError.missingInput("not payouts") }
        return terms
    }

    func participant(_ id: String, site: String, first: Int64) -> ParticipantData {
        var b = Fixtures.Builder(firstID: first, site: site)
        b.add("SE.BL", at: "2026-03-01T09:00:00Z")
        b.add("SE.W2", at: "2026-03-15T09:00:00Z")
        return Fixtures.participant(id, b.observations)
    }

    @Test func eachSiteIsPaidInItsCurrencyAndTotalsAreNeverMixed() throws {
        let terms = try terms()
        let jpy = Currency(code: "JPY")!, eur = Currency(code: "EUR")!
        #expect(terms.sites["102"]?.currency == jpy && terms.sites["102"]?.visits.map(\.onTime) == [8000, 6000])
        #expect(terms.sites["103"]?.currency == eur && terms.sites["103"]?.visits.map(\.onTime) == [5000, 4500], "same currency: only the stated amount changes")
        #expect(terms.sites["103"]?.visits[1].late == 2000, "unstated amounts are the contract's")
        let result = try PayoutEvaluator(terms: terms).evaluate(ContractInputs(trialProtocol: Fixtures.trialProtocol, participants: [
            participant("P-1", site: "101", first: 10), participant("P-2", site: "102", first: 20), participant("P-3", site: "103", first: 30),
        ]))
        #expect(result.participants.map(\.currency.code) == ["EUR", "JPY", "EUR"])
        #expect(result.participants.map(\.total) == [9000, 14000, 9500])
        #expect(result.totals.map(\.currency.code) == ["EUR", "JPY"])
        #expect(result.totals.map(\.total) == [18500, 14000], "9000 EUR cents + 9500 EUR cents; 14000 yen apart")
        #expect(result.total == nil, "no single total across currencies")
        #expect(result.sites.map(\.currency.code) == ["EUR", "JPY", "EUR"] && result.sites.map(\.taxThreshold) == [8000, 20000, 8000])
        // Tax reporting in each site's currency: 90 EUR ≥ 80 EUR; 14,000 JPY < 20,000 JPY.
        #expect(result.participants.map { $0.taxYears.first?.reportable } == [true, false, true])
        let output = ContractOutput.json(result, contract: try Fixtures.contract(Self.text))
        #expect(output["totals"]?.arrayValue?.count == 2 && output["total"] == nil)
        #expect(output["participants"]?.arrayValue?[1]["currency"] == "JPY")
    }

    @Test func aSiteInAnotherCurrencyMustStateEveryAmount() throws {
        let missingVisit = Self.text.replacingOccurrences(of: "      SE.W2: {on-time: 6000, late: 3000}\n", with: "")
        do {
            _ = try terms(missingVisit)
            Issue.record("a JPY site without the amounts of SE.W2 was accepted")
        } catch let ContractError.invalid(_, _, key, message) {
            #expect(key == "visits" && message.contains("site 102 is paid in JPY, not EUR: state the amounts of SE.W2 in JPY too"), "\(message)")
        }
        let missingThreshold = Self.text.replacingOccurrences(of: "    tax-reporting: {threshold: 20000}\n", with: "")
        #expect(throws: ContractError.self) { try terms(missingThreshold) }
        let unknownVisit = Self.text.replacingOccurrences(of: "      SE.W2: {on-time: 45.00}", with: "      SE.W9: {on-time: 45.00}")
        do {
            _ = try terms(unknownVisit)
            Issue.record("a site override of a visit the contract does not pay was accepted")
        } catch let ContractError.invalid(_, line, key, _) {
            #expect(key == "SE.W9" && line == 22, "line \(line)")
        }
        let yenDecimals = Self.text.replacingOccurrences(of: "{on-time: 8000}", with: "{on-time: 80.50}")
        #expect(throws: ContractError.self, "JPY has no minor unit") { try terms(yenDecimals) }
    }
}
