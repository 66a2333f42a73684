import Crypto
import Foundation
import Ingest
import MerkleLog

/// A milestone contract file (`Pipelines/contracts/*.yml`): a named, versioned, declarative set of
/// payout or adherence terms. The README documents the language; `ContractFile` reads it and
/// refuses anything it does not define, naming the file, line and key.
public struct ContractFile: Equatable, Sendable {
    /// What the contract computes.
    public enum Terms: Equatable, Sendable {
        case payouts(PayoutTerms)
        case adherence(AdherenceTerms)
    }

    /// The path the contract was read from, as it is shown and recorded.
    public let path: String
    public let name: String
    public let version: Int
    public let summary: String?
    /// SHA-256 of the file's bytes: the contract digest named in every attestation of its runs.
    public let sha256: String
    /// The file's bytes (kept in the object store by every run, for re-execution).
    public let bytes: [UInt8]
    public let terms: Terms

    /// `payouts` or `adherence`.
    public var type: String {
        switch terms {
        case .payouts: return "payouts"
        case .adherence: return "adherence"
        }
    }

    /// The name of the artifact a run writes: `payouts/<name>` or `adherence/<name>`.
    public var artifactName: String { "\(type)/\(name)" }

    static let commonKeys: Set<String> = ["contract", "version", "type", "description"]
    static let payoutKeys: Set<String> = commonKeys.union(["currency", "day-one", "visits", "bonus", "participant-cap", "tax-reporting", "no-day-one", "sites"])
    static let siteKeys: Set<String> = ["currency", "visits", "bonus", "participant-cap", "tax-reporting", "no-day-one"]
    static let adherenceKeys: Set<String> = commonKeys.union(["dosing", "period", "arm", "threshold"])

    /// Reads and validates a contract file.
    /// - throws: `ContractError.unreadable`, or `.invalid` naming the line and key of the first problem.
    public init(url: URL, displayName: String? = nil) throws {
        let file = displayName ?? url.path
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ContractError.unreadable(file: file, reason: FileManager.default.fileExists(atPath: url.path) ? "permission denied" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ContractError.unreadable(file: file, reason: "not UTF-8") }
        try self.init(text: text, file: file, sha256: Hex.encode(SHA256.hash(data: data)), bytes: Array(data))
    }

    /// Reads a contract from its text.
    public init(text: String, file: String) throws {
        try self.init(text: text, file: file, sha256: Hex.encode(SHA256.hash(data: Data(text.utf8))), bytes: Array(text.utf8))
    }

    init(text: String, file: String, sha256: String, bytes: [UInt8]) throws {
        let makeError: YAMLMapping.MakeError = { ContractError.invalid(file: file, line: $0, key: $1, message: $2) }
        let top = try YAMLMapping.document(text, expected: "contract, version, type and its terms", makeError: makeError)
        let name = try top.required("contract")
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), name.first != "." else {
            throw top.fail("contract", "a contract name is letters, digits, '-', '_' and '.', found \(name)")
        }
        guard let version = try top.int("version", in: 1...1_000_000) else { throw top.fail("version", "missing; contracts are versioned (1, 2, …)") }
        let type = try top.required("type")
        self.path = file
        self.name = name
        self.version = version
        self.summary = try top.string("description")
        self.sha256 = sha256
        self.bytes = bytes
        switch type {
        case "payouts":
            try top.onlyKeys(ContractFile.payoutKeys)
            terms = .payouts(try ContractFile.payoutTerms(top))
        case "adherence":
            try top.onlyKeys(ContractFile.adherenceKeys)
            terms = .adherence(try ContractFile.adherenceTerms(top))
        default:
            throw top.fail("type", "unknown contract type \(type); expected payouts or adherence")
        }
    }

    // MARK: Payout terms

    static func payoutTerms(_ top: YAMLMapping) throws -> PayoutTerms {
        let code = try top.required("currency")
        guard let currency = Currency(code: code) else {
            throw top.fail("currency", "\(code) is not an ISO 4217 currency code (like EUR, USD, JPY)")
        }
        let money = Money.Reader(currency: currency)
        guard let visitMaps = try top.mappings("visits"), !visitMaps.isEmpty else {
            throw top.fail("visits", "expected a list of visits, each with visit and on-time")
        }
        guard visitMaps.count <= PayoutTerms.maximumVisitRules else {
            throw top.fail("visits", "\(visitMaps.count) visit rules; a contract has at most \(PayoutTerms.maximumVisitRules)")
        }
        var visits: [PayoutTerms.VisitRule] = []
        for map in visitMaps {
            try map.onlyKeys(["visit", "on-time", "late", "early", "items"])
            let visit = try map.required("visit")
            guard !visits.contains(where: { $0.visit == visit }) else { throw map.fail("visit", "\(visit) is already paid by an earlier rule") }
            guard let onTime = try money.amount(map, "on-time") else { throw map.fail("on-time", "missing; what the visit pays when completed in its window") }
            let late = try money.amount(map, "late") ?? 0
            visits.append(PayoutTerms.VisitRule(visit: visit, onTime: onTime, late: late, early: try money.amount(map, "early"),
                                                items: try map.strings("items") ?? [], line: map.line))
        }
        var terms = PayoutTerms(currency: currency, dayOne: try top.required("day-one"), visits: visits, bonus: try bonus(top, money, base: nil),
                                participantCap: try money.amount(top, "participant-cap"), taxThreshold: try taxThreshold(top, money),
                                dayOneLine: top.line("day-one"), noDayOne: try noDayOne(top, money))
        if let sites = try top.mapping("sites") {
            for (site, map) in try sites.nestedMappings() {
                terms.sites[site] = try siteTerms(map, site: site, base: terms)
            }
        }
        return terms
    }

    /// A site's terms: the contract's, with what the site states instead. A site paid in another
    /// currency states every amount again (an amount in one currency means nothing in another).
    static func siteTerms(_ map: YAMLMapping, site: String, base: PayoutTerms) throws -> PayoutTerms {
        try map.onlyKeys(siteKeys)
        var terms = base
        terms.sites = [:]
        if let code = try map.string("currency") {
            guard let currency = Currency(code: code) else { throw map.fail("currency", "\(code) is not an ISO 4217 currency code (like EUR, USD, JPY)") }
            terms.currency = currency
        }
        let money = Money.Reader(currency: terms.currency)
        let restate = terms.currency != base.currency
        func missing(_ key: String, _ what: String) -> Error {
            map.fail(key, "site \(site) is paid in \(terms.currency.code), not \(base.currency.code): state \(what) in \(terms.currency.code) too")
        }
        let overrides = try map.mapping("visits")
        let stated = Dictionary(try overrides?.nestedMappings() ?? [], uniquingKeysWith: { first, _ in first })
        for visit in overrides?.keys ?? [] where !base.visits.contains(where: { $0.visit == visit }) {
            throw overrides!.fail(visit, "the contract has no rule for \(visit); a site can change the amounts of the contract's visits only")
        }
        for (index, rule) in base.visits.enumerated() {
            guard let amounts = stated[rule.visit] else {
                if restate { throw missing("visits", "the amounts of \(rule.visit)") }
                continue
            }
            try amounts.onlyKeys(["on-time", "late", "early"])
            guard let onTime = try money.amount(amounts, "on-time") ?? (restate ? nil : rule.onTime) else {
                throw amounts.fail("on-time", "missing; what \(rule.visit) pays at site \(site) when completed in its window")
            }
            let late = try money.amount(amounts, "late") ?? (restate ? 0 : rule.late)
            let early = try money.amount(amounts, "early") ?? (restate || amounts.has("late") ? late : rule.early)
            terms.visits[index] = PayoutTerms.VisitRule(visit: rule.visit, onTime: onTime, late: late, early: early, items: rule.items, line: amounts.line)
        }
        if map.has("bonus") {
            terms.bonus = try bonus(map, money, base: base.bonus)
        } else if restate, base.bonus != nil {
            throw missing("bonus", "the bonus")
        }
        if map.has("participant-cap") {
            terms.participantCap = try money.amount(map, "participant-cap")
        } else if restate, base.participantCap != nil {
            throw missing("participant-cap", "the participant cap")
        }
        if map.has("tax-reporting") {
            terms.taxThreshold = try taxThreshold(map, money)
        } else if restate, base.taxThreshold != nil {
            throw missing("tax-reporting", "the tax-reporting threshold")
        }
        if map.has("no-day-one") {
            terms.noDayOne = try noDayOne(map, money)
        } else if restate, case .amount = base.noDayOne {
            throw missing("no-day-one", "the no-day-one amount")
        }
        return terms
    }

    static func bonus(_ top: YAMLMapping, _ money: Money.Reader, base: PayoutTerms.Bonus?) throws -> PayoutTerms.Bonus? {
        guard let map = try top.mapping("bonus") else { return nil }
        try map.onlyKeys(["requires", "amount", "per-on-time-visit", "cap"])
        guard let requires = try map.strings("requires") ?? base?.requires, !requires.isEmpty else {
            throw map.fail("requires", "missing; the visits that must all be completed to earn the bonus")
        }
        let value = try money.amount(map, "amount") ?? 0
        let perVisit = try money.amount(map, "per-on-time-visit") ?? 0
        guard value > 0 || perVisit > 0 else { throw map.fail("amount", "a bonus needs an amount or a per-on-time-visit amount") }
        return PayoutTerms.Bonus(requires: requires, amount: value, perOnTimeVisit: perVisit, cap: try money.amount(map, "cap"), line: map.line)
    }

    static func taxThreshold(_ top: YAMLMapping, _ money: Money.Reader) throws -> Int64? {
        guard let map = try top.mapping("tax-reporting") else { return nil }
        try map.onlyKeys(["threshold"])
        guard let threshold = try money.amount(map, "threshold") else { throw map.fail("threshold", "missing; the yearly total from which payments are reportable") }
        return threshold
    }

    static func noDayOne(_ top: YAMLMapping, _ money: Money.Reader) throws -> PayoutTerms.NoDayOne {
        switch try top.string("no-day-one") {
        case nil, "late": return .late
        case "on-time": return .onTime
        default: return .amount(try money.amount(top, "no-day-one") ?? 0)
        }
    }

    // MARK: Adherence terms

    static func adherenceTerms(_ top: YAMLMapping) throws -> AdherenceTerms {
        guard let dosing = try top.mapping("dosing") else { throw top.fail("dosing", "missing; the diary item that records doses") }
        try dosing.onlyKeys(["visit", "item", "taken", "doses-per-day"])
        guard let period = try top.mapping("period") else { throw top.fail("period", "missing; from (a visit) and days or to") }
        try period.onlyKeys(["from", "days", "to"])
        let days = try period.int("days", in: 1...3660)
        let to = try period.string("to")
        guard (days == nil) != (to == nil) else { throw period.fail("days", "give either days (the length of dosing) or to (the visit that ends it)") }
        var lines = ["dosing.item": dosing.line("item"), "dosing.visit": dosing.line("visit"), "dosing.taken": dosing.line("taken"),
                     "period.from": period.line("from"), "period.to": period.line("to")]
        var armItem: String?, armVisit: String?
        if let arm = try top.mapping("arm") {
            try arm.onlyKeys(["item", "visit"])
            armItem = try arm.required("item")
            armVisit = try arm.string("visit")
            lines["arm.item"] = arm.line("item")
            lines["arm.visit"] = arm.line("visit")
        }
        var threshold = 8000
        if let text = try top.string("threshold") {
            guard let value = basisPoints(percent: text), value > 0, value <= 10_000 else {
                throw top.fail("threshold", "expected a percentage above 0 and at most 100 with at most 2 decimals (like 80 or 80%), found \(text)")
            }
            threshold = value
        }
        guard let taken = try dosing.strings("taken"), !taken.isEmpty else { throw dosing.fail("taken", "missing; the values that mean a dose was taken (like [Y])") }
        return AdherenceTerms(dosingVisit: try dosing.string("visit"), dosingItem: try dosing.required("item"), takenValues: taken,
                              dosesPerDay: try dosing.int("doses-per-day", in: 1...24) ?? 1, periodFrom: try period.required("from"),
                              periodDays: days, periodTo: to, armItem: armItem, armVisit: armVisit, thresholdBasisPoints: threshold, lines: lines)
    }

    /// `80`, `80%`, `87.5` → basis points (8000, 8000, 8750); `nil` for anything else.
    static func basisPoints(percent text: String) -> Int? {
        let number = text.hasSuffix("%") ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first.flatMap({ Int($0) }), whole >= 0, parts[0].allSatisfy(\.isNumber) else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy({ $0.isASCII && $0.isNumber }), parts.count == 1 || !fraction.isEmpty else { return nil }
        return whole * 100 + (Int(fraction.padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0)
    }
}
