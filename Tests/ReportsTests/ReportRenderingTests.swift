import Attestation
@testable import Contracts
import Foundation
@testable import Ingest
@testable import Reports
import Testing

@Suite("Reports render contract outputs exactly and self-contained")
struct ReportRenderingTests {
    static let contract = try! ContractFile(text: """
        contract: pay
        version: 3
        type: payouts
        currency: EUR
        day-one: SE.BL
        visits:
          - {visit: SE.BL, on-time: 50}
        """, file: "Pipelines/contracts/pay.yml")

    static let context = ReportContext(trial: "T-1", artifact: "payouts/pay", version: 1, sha256: String(repeating: "ab", count: 32))

    /// One participant with one paid line (note with a comma and quotes, a name with markup).
    static let payouts: JSONValue = {
        let eur = Currency(code: "EUR")!
        let line = PayoutResult.Line(milestone: "visit", visit: "SE.BL", visitName: "Baseline", status: .onTime, earnedOn: "2026-03-01", studyDay: 1, window: 1...1,
                                     earned: 5000, amount: 5000, records: [RecordRef(id: 7, leafHash: String(repeating: "0f", count: 32))],
                                     notes: ["re-measured, \"twice\""])
        let participant = PayoutResult.Participant(participant: "P<1>", site: "101", currency: eur, consentedAt: "2026-01-01T00:00:00Z", withdrawnAt: nil,
                                                   dayOne: "2026-03-01", consentRecords: [RecordRef(id: 1, leafHash: String(repeating: "aa", count: 32))],
                                                   lines: [line], total: 5000, taxYears: [.init(year: 2026, total: 5000, reportable: true)])
        let result = PayoutResult(currency: eur, participants: [participant],
                                  sites: [.init(site: "101", currency: eur, taxThreshold: 4000, participants: 1, total: 5000, reportableParticipants: 1)],
                                  totals: [.init(currency: eur, participants: 1, total: 5000)], taxThreshold: 4000)
        return ContractOutput.json(result, contract: contract)
    }()

    var bytes: [UInt8] { CanonicalJSON.encode(Self.payouts) }

    @Test func payoutCSVIsExact() throws {
        let csv = String(decoding: try ReportRunner.render(bytes, context: Self.context, format: .csv), as: UTF8.self)
        let leaf = String(repeating: "0f", count: 32), consent = String(repeating: "aa", count: 32)
        let expected = [
            "row,participant,site,milestone,visit,visit_name,status,earned_on,study_day,window,earned_minor,amount_minor,amount,currency,records,notes",
            #"line,P<1>,101,visit,SE.BL,Baseline,on-time,2026-03-01,1,1..1,5000,5000,50.00,EUR,7:\#(leaf),"re-measured, ""twice""""#,
            "participant-total,P<1>,101,,,,,,,,,5000,50.00,EUR,1:\(consent),2026: 50.00 reportable",
            #"site-total,,101,,,,,,,,,5000,50.00,EUR,,"1 participants, 1 tax-reportable""#,
            "trial-total,,,,,,,,,,,5000,50.00,EUR,,1 participants",
        ]
        #expect(csv == expected.map { $0 + "\r\n" }.joined())
    }

    @Test func htmlIsOneSelfContainedFileThatEscapesEverything() throws {
        let html = String(decoding: try ReportRunner.render(bytes, context: Self.context, format: .html), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<style>") && html.contains("@media print"))
        #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        for external in ["<script", "<link", "src=", "url(", "@import"] { #expect(!html.contains(external), "\(external)") }
        let withoutSVGNamespace = html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!withoutSVGNamespace.contains("http://") && !withoutSVGNamespace.contains("https://"), "no external resource")
        #expect(html.contains("P&lt;1&gt;") && !html.contains("P<1>"), "participant ids are escaped")
        #expect(html.contains("re-measured, &quot;twice&quot;"))
        #expect(html.contains("<span class=\"short\">#7</span>"), "records named by id in the table")
        #expect(html.contains("Baseline · <span class=\"short\">SE.BL</span>"), "milestones by the protocol's name beside the code")
        #expect(!html.lowercased().contains("hover"), "no instruction that means nothing on paper")
        #expect(html.contains("contract version 3") && html.contains("output version 1"), "the two versions are named apart")
        #expect(html.contains("section.participant{break-inside:avoid}") && html.contains("thead{display:table-header-group}"))
        #expect(html.contains(Self.contract.sha256) && html.contains(Self.context.sha256), "the contract and artifact digests")
    }

    @Test func jsonIsCanonicalAndCarriesTheContext() throws {
        let json = try ReportRunner.render(bytes, context: Self.context, format: .json)
        let value = try JSONValue.parse(json)
        #expect(CanonicalJSON.encode(value) == json)
        #expect(value["context"]?["sha256"]?.stringValue == Self.context.sha256 && value["payouts"] == Self.payouts)
    }

    @Test func theSameArtifactRendersToTheSameBytes() throws {
        for format in ReportFormat.allCases {
            #expect(try ReportRunner.render(bytes, context: Self.context, format: format) == ReportRunner.render(bytes, context: Self.context, format: format))
        }
    }

    @Test func adherenceReportsNameTheirRecordsByRangeAndDigest() throws {
        let contract = try ContractFile(text: "contract: adh\nversion: 1\ntype: adherence\ndosing: {item: IT.DOSE, taken: [Y]}\nperiod: {from: SE.BL, days: 3}\n",
                                        file: "adh.yml")
        let participant = AdherenceResult.Participant(
            participant: "P1", site: "101", arm: "ARM.A", periodFrom: "2026-03-01", periodTo: "2026-03-03", daysInPeriod: 3, dosesScheduled: 3,
            dosesTaken: 2, daysCovered: 2, pdcBasisPoints: 6667, dosesBasisPoints: 6667, belowThreshold: true, duplicateEntries: 0, conflictingDays: 0,
            entriesOutsidePeriod: 0, records: [10, 11, 12, 20].map { RecordRef(id: $0, leafHash: String(repeating: "11", count: 32)) }, notes: [])
        let group = AdherenceResult.Group(key: "all", name: nil, participants: 1, evaluable: 1, belowThreshold: 1, dosesScheduled: 3, dosesTaken: 2,
                                          pooledBasisPoints: 6667, meanPdcBasisPoints: 6667)
        let result = AdherenceResult(thresholdBasisPoints: 8000, participants: [participant], arms: [], sites: [], overall: group)
        let bytes = CanonicalJSON.encode(ContractOutput.json(result, contract: contract))
        let context = ReportContext(trial: "T", artifact: "adherence/adh", version: 1, sha256: String(repeating: "cd", count: 32))
        let csv = String(decoding: try ReportRunner.render(bytes, context: context, format: .csv), as: UTF8.self)
        let row = try #require(csv.split(separator: "\r\n").first { $0.hasPrefix("participant,") })
        #expect(row.contains(",66.67%,66.67%,yes,1,0,0,10-12 20,"))
        // SHA-256 over the four 32-byte leaf hashes, each 0x11 repeated.
        #expect(row.contains(",ee17803024fd3998d1b7892e26fcc040e767069095c24205876d7c5388c79905,"), "\(row)")
        let html = String(decoding: try ReportRunner.render(bytes, context: context, format: .html), as: UTF8.self)
        #expect(html.contains("threshold 80.00%") && html.contains("<tr class=\"flag\">"))
    }

    @Test func somethingElseIsNotAReport() {
        #expect(throws: ReportError.self) { try ReportRunner.render(Array(#"{"protocol":1}"#.utf8), context: Self.context, format: .csv) }
        #expect(throws: (any Error).self) { try ReportRunner.render(Array("not json".utf8), context: Self.context, format: .csv) }
    }

    /// Each currency apart: a trial-total row per currency, never one sum.
    @Test func aMultiCurrencyPayoutReportShowsEachCurrencyApart() throws {
        let eur = Currency(code: "EUR")!, jpy = Currency(code: "JPY")!
        func participant(_ id: String, _ site: String, _ currency: Currency, _ total: Int64) -> PayoutResult.Participant {
            PayoutResult.Participant(participant: id, site: site, currency: currency, consentedAt: "2026-01-01T00:00:00Z", withdrawnAt: nil, dayOne: nil,
                                     consentRecords: [], lines: [], total: total, taxYears: [])
        }
        let result = PayoutResult(currency: eur, participants: [participant("P-1", "101", eur, 9000), participant("P-2", "201", jpy, 14000)],
                                  sites: [.init(site: "101", currency: eur, taxThreshold: nil, participants: 1, total: 9000, reportableParticipants: 0),
                                          .init(site: "201", currency: jpy, taxThreshold: nil, participants: 1, total: 14000, reportableParticipants: 0)],
                                  totals: [.init(currency: eur, participants: 1, total: 9000), .init(currency: jpy, participants: 1, total: 14000)],
                                  taxThreshold: nil)
        let bytes = CanonicalJSON.encode(ContractOutput.json(result, contract: Self.contract))
        let csv = String(decoding: try ReportRunner.render(bytes, context: Self.context, format: .csv), as: UTF8.self)
        #expect(csv.contains("trial-total,,,,,,,,,,,9000,90.00,EUR,,1 participants\r\n") && csv.contains("trial-total,,,,,,,,,,,14000,14000,JPY,,1 participants\r\n"), "\(csv)")
        #expect(csv.contains("participant-total,P-2,201,,,,,,,,,14000,14000,JPY"))
        let html = String(decoding: try ReportRunner.render(bytes, context: Self.context, format: .html), as: UTF8.self)
        #expect(html.contains("90.00 EUR") && html.contains("14000 JPY") && html.contains("never added up"))
        #expect(html.contains("Payouts by site (EUR)") && html.contains("Payouts by site (JPY)"))
    }
}
