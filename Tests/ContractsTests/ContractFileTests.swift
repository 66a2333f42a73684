@testable import Contracts
import Foundation
import Testing

@Suite("Contract files: the language, and every error names the line and key")
struct ContractFileTests {
    static let payouts = """
        contract: pay
        version: 2
        type: payouts
        currency: EUR
        day-one: SE.BL
        visits:
          - visit: SE.SCR
            on-time: 25.00
            late: 10
            items: [IT.HR, IT.SYSBP]
          - visit: SE.BL
            on-time: 50
        bonus:
          requires: [SE.BL]
          amount: 30.00
          per-on-time-visit: 5
          cap: 40.00
        participant-cap: 150.00
        tax-reporting:
          threshold: 100.00

        """

    @Test func aPayoutContractReadsIntoMinorUnits() throws {
        let contract = try Fixtures.contract(Self.payouts)
        #expect(contract.name == "pay" && contract.version == 2 && contract.type == "payouts" && contract.artifactName == "payouts/pay")
        guard case let .payouts(terms) = contract.terms else { Issue.record("not payouts"); return }
        #expect(terms.currency.code == "EUR" && terms.dayOne == "SE.BL")
        #expect(terms.visits[0] == PayoutTerms.VisitRule(visit: "SE.SCR", onTime: 2500, late: 1000, items: ["IT.HR", "IT.SYSBP"], line: 7))
        #expect(terms.visits[1].onTime == 5000 && terms.visits[1].late == 0 && terms.visits[1].early == 0)
        #expect(terms.bonus == PayoutTerms.Bonus(requires: ["SE.BL"], amount: 3000, perOnTimeVisit: 500, cap: 4000, line: 14))
        #expect(terms.participantCap == 15000 && terms.taxThreshold == 10000)
        try contract.check(against: Fixtures.trialProtocol)
    }

    @Test func anAdherenceContractReads() throws {
        let contract = try Fixtures.contract("""
            contract: adh
            version: 1
            type: adherence
            dosing: {visit: SE.DIARY, item: IT.DOSE, taken: [Y], doses-per-day: 2}
            period: {from: SE.BL, days: 84}
            arm: {visit: SE.BL, item: IT.ARM}
            threshold: 87.5%
            """)
        guard case let .adherence(terms) = contract.terms else { Issue.record("not adherence"); return }
        #expect(terms.dosingItem == "IT.DOSE" && terms.takenValues == ["Y"] && terms.dosesPerDay == 2 && terms.periodDays == 84)
        #expect(terms.thresholdBasisPoints == 8750 && terms.armItem == "IT.ARM")
        try contract.check(against: Fixtures.trialProtocol)
    }

    /// Each malformed contract: (text, line, key, part of the message).
    static let malformed: [(String, Int, String, String)] = [
        (payouts.replacingOccurrences(of: "currency: EUR", with: "currency: EURO"), 4, "currency", "not an ISO 4217 currency"),
        (payouts.replacingOccurrences(of: "on-time: 25.00", with: "on-time: 25.001"), 8, "on-time", "at most 2 decimals"),
        (payouts.replacingOccurrences(of: "late: 10", with: "late: -10"), 9, "late", "expected an amount"),
        (payouts.replacingOccurrences(of: "late: 10", with: "lateness: 10"), 9, "lateness", "unknown key"),
        (payouts.replacingOccurrences(of: "version: 2", with: "version: two"), 2, "version", "whole number"),
        (payouts.replacingOccurrences(of: "version: 2\n", with: ""), 1, "version", "versioned"),
        (payouts.replacingOccurrences(of: "type: payouts", with: "type: bonus"), 3, "type", "unknown contract type bonus"),
        (payouts.replacingOccurrences(of: "    on-time: 50\n", with: ""), 11, "on-time", "missing"),
        (payouts.replacingOccurrences(of: "  - visit: SE.BL\n", with: "  - visit: SE.SCR\n"), 11, "visit", "already paid"),
        (payouts.replacingOccurrences(of: "  requires: [SE.BL]\n", with: ""), 14, "requires", "missing"),
        (payouts.replacingOccurrences(of: "participant-cap", with: "participant-limit"), 18, "participant-limit", "unknown key"),
        ("contract: [a\n", 2, "(yaml)", ""),
        ("- a\n- b\n", 1, "(top)", "expected a mapping"),
        ("contract: ../etc\nversion: 1\ntype: payouts\n", 1, "contract", "letters, digits"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedContractsNameTheLineAndKey(_ index: Int) {
        let (text, line, key, message) = Self.malformed[index]
        do {
            _ = try Fixtures.contract(text)
            Issue.record("case \(index) was accepted")
        } catch let ContractError.invalid(file, gotLine, gotKey, gotMessage) {
            #expect(file == "test.yml")
            #expect(gotLine == line && gotKey == key && (message.isEmpty || gotMessage.contains(message)), "case \(index): \(gotLine) \(gotKey) \(gotMessage)")
        } catch {
            Issue.record("case \(index): \(error)")
        }
    }

    /// Names the protocol does not define are refused before evaluation, at their line.
    static let unknownNames: [(String, String, Int, String)] = [
        ("    items: [IT.HR, IT.SYSBP]", "    items: [IT.HR, IT.CHOL]", 7, "IT.CHOL is not an item"),
        ("  - visit: SE.BL\n    on-time: 50", "  - visit: SE.W6\n    on-time: 50", 11, "SE.W6 is not a visit"),
        ("  - visit: SE.BL\n    on-time: 50", "  - visit: SE.DIARY\n    on-time: 50", 11, "no planned study day"),
        ("day-one: SE.BL", "day-one: SE.W2", 5, "not day 1"),
        ("  requires: [SE.BL]", "  requires: [SE.W4]", 14, "no visit rule"),
        ("    items: [IT.HR, IT.SYSBP]", "    items: [IT.ARM]", 7, "IT.ARM is not collected at SE.SCR"),
    ]

    @Test(arguments: 0..<unknownNames.count)
    func contractsAreCheckedAgainstTheProtocol(_ index: Int) throws {
        let (from, to, line, message) = Self.unknownNames[index]
        let contract = try Fixtures.contract(Self.payouts.replacingOccurrences(of: from, with: to))
        #expect(throws: ContractError.self) { try contract.check(against: Fixtures.trialProtocol) }
        do {
            try contract.check(against: Fixtures.trialProtocol)
        } catch let ContractError.invalid(_, gotLine, _, gotMessage) {
            #expect(gotLine == line && gotMessage.contains(message), "case \(index): \(gotLine) \(gotMessage)")
        }
    }

    @Test func adherenceNamesAreCheckedToo() throws {
        let base = "contract: a\nversion: 1\ntype: adherence\ndosing: {visit: SE.DIARY, item: IT.DOSE, taken: [Y]}\nperiod: {from: SE.BL, days: 10}\n"
        try Fixtures.contract(base).check(against: Fixtures.trialProtocol)
        for (text, message) in [
            (base.replacingOccurrences(of: "taken: [Y]", with: "taken: [yes]"), "yes is not in code list CL.NY"),
            (base.replacingOccurrences(of: "item: IT.DOSE", with: "item: IT.HR"), "IT.HR is not collected at SE.DIARY"),
            (base.replacingOccurrences(of: "from: SE.BL", with: "from: SE.BASE"), "SE.BASE is not a visit"),
        ] {
            #expect(throws: ContractError.self, "\(message)") { try Fixtures.contract(text).check(against: Fixtures.trialProtocol) }
            do { try Fixtures.contract(text).check(against: Fixtures.trialProtocol) } catch { #expect("\(error)".contains(message), "\(error)") }
        }
        for (text, key) in [
            (base.replacingOccurrences(of: "days: 10", with: "days: 10, to: SE.W4"), "days"),
            (base + "threshold: 120%\n", "threshold"),
            (base + "threshold: eighty\n", "threshold"),
            (base.replacingOccurrences(of: "taken: [Y]", with: "taken: []"), "taken"),
        ] {
            do {
                _ = try Fixtures.contract(text)
                Issue.record("accepted: \(text)")
            } catch let ContractError.invalid(_, _, gotKey, _) {
                #expect(gotKey == key)
            }
        }
    }

    @Test func theDigestIsOfTheFileBytes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("pay.yml")
        try Data(Self.payouts.utf8).write(to: url)
        let contract = try ContractFile(url: url, displayName: "pay.yml")
        #expect(contract.sha256 == (try Fixtures.contract(Self.payouts)).sha256 && contract.sha256.count == 64)
        #expect(throws: ContractError.unreadable(file: "missing.yml", reason: "no such file")) {
            try ContractFile(url: directory.appendingPathComponent("missing.yml"), displayName: "missing.yml")
        }
    }
}
