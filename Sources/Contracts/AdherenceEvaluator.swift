import BigInt
import Ingest

/// Evaluates adherence terms over the anchored inputs: proportion of days covered (PDC) and
/// doses taken / doses scheduled from the dosing diary, per participant, arm and site.
///
/// Rules, all on UTC calendar days:
/// - The period starts on the date of the `from` visit and lasts `days` days (or ends the day
///   before the `to` visit, or its planned day when that visit is missing); a withdrawal ends it
///   at the withdrawal time. No `from` visit: no dose scheduled, no ratio, no flag.
/// - A day's doses taken are its "taken" entries, at most the doses scheduled per day; a day is
///   covered when all its doses were taken. Entries beyond that are duplicates; a day with both
///   taken and not-taken entries is conflicting. Both are reported, neither inflates a ratio.
public struct AdherenceEvaluator: Sendable {
    public let terms: AdherenceTerms

    public init(terms: AdherenceTerms) { self.terms = terms }

    public func evaluate(_ inputs: ContractInputs) -> AdherenceResult {
        assemble(inputs.participants.map { evaluate($0, inputs.trialProtocol) }, inputs.trialProtocol)
    }

    /// The result from the participants' rows (in participant order): arms, sites, overall.
    func assemble(_ participants: [AdherenceResult.Participant], _ model: TrialProtocol) -> AdherenceResult {
        var groups = AdherenceGroups(terms: terms, model: model)
        for participant in participants { groups.add(participant) }
        return AdherenceResult(thresholdBasisPoints: terms.thresholdBasisPoints, participants: participants,
                               arms: groups.armGroups, sites: groups.siteGroups, overall: groups.overall)
    }

    func evaluate(_ data: ParticipantData, _ model: TrialProtocol) -> AdherenceResult.Participant {
        let sorted = data.observations.sorted { ($0.observedAt, $0.ref.id) < ($1.observedAt, $1.ref.id) }
        let before = { (o: Observation) in data.withdrawnAt.map { o.observedAt < $0 } ?? true }
        let start = sorted.first { $0.visit == terms.periodFrom && before($0) }
        func at(_ visit: String?) -> (Observation) -> Bool { { o in visit.map { o.visit == $0 } ?? true } }
        let arm = terms.armItem.flatMap { item in sorted.first { $0.item == item && at(terms.armVisit)($0) }?.value }
        let diary = sorted.filter { $0.item == terms.dosingItem && at(terms.dosingVisit)($0) }
        var result = AdherenceResult.Participant(
            participant: data.participant, site: data.site, arm: arm, periodFrom: nil, periodTo: nil, daysInPeriod: 0, dosesScheduled: 0,
            dosesTaken: 0, daysCovered: 0, pdcBasisPoints: nil, dosesBasisPoints: nil, belowThreshold: false, duplicateEntries: 0,
            conflictingDays: 0, entriesOutsidePeriod: diary.count, records: [], notes: [])
        guard let start else {
            result.notes.append("no doses scheduled: \(terms.periodFrom) not completed\(data.withdrawnAt == nil ? "" : " before withdrawal")")
            return result
        }
        let first = start.observedAt.dayNumber
        var end: Int // exclusive
        if let days = terms.periodDays {
            end = first + days
        } else if let to = terms.periodTo, let visit = sorted.first(where: { $0.visit == to && $0.observedAt.dayNumber > first }) {
            end = visit.observedAt.dayNumber
        } else {
            let planned = terms.periodTo.flatMap { model.visit($0)?.plannedDay } ?? 1
            end = first + max(0, planned - 1)
            result.notes.append("\(terms.periodTo ?? "") not completed: period runs to its planned day \(planned)")
        }
        if let withdrawn = data.withdrawnAt {
            // Days that start before the withdrawal time count.
            let cut = Int((withdrawn.epochSeconds + 86_399) / 86_400)
            if cut < end {
                end = max(first, cut)
                result.notes.append("withdrew \(withdrawn.date): period ends there")
            }
        }
        let days = max(0, end - first)
        var byDay: [Int: [Observation]] = [:]
        var outside = 0
        for entry in diary {
            let day = entry.observedAt.dayNumber
            if day >= first && day < end && before(entry) { byDay[day, default: []].append(entry) } else { outside += 1 }
        }
        var taken = 0, covered = 0, duplicates = 0, conflicting = 0
        for (_, entries) in byDay {
            let yes = entries.filter { terms.takenValues.contains($0.value) }.count
            let credited = min(yes, terms.dosesPerDay)
            taken += credited
            if credited >= terms.dosesPerDay { covered += 1 }
            duplicates += max(0, entries.count - terms.dosesPerDay)
            if yes > 0 && yes < entries.count { conflicting += 1 }
        }
        result.periodFrom = StudyCalendar.date(first)
        result.periodTo = days > 0 ? StudyCalendar.date(end - 1) : nil
        result.daysInPeriod = days
        result.dosesScheduled = days * terms.dosesPerDay
        result.dosesTaken = taken
        result.daysCovered = covered
        result.pdcBasisPoints = AdherenceResult.basisPoints(covered, days)
        result.dosesBasisPoints = AdherenceResult.basisPoints(taken, result.dosesScheduled)
        result.belowThreshold = days > 0 && covered * 10_000 < terms.thresholdBasisPoints * days
        result.duplicateEntries = duplicates
        result.conflictingDays = conflicting
        result.entriesOutsidePeriod = outside
        result.records = ([start.ref] + byDay.values.flatMap { $0.map(\.ref) }).sorted { $0.id < $1.id }
        if days == 0 { result.notes.append("no doses scheduled: the period is empty") }
        if byDay.isEmpty && days > 0 { result.notes.append("no diary entries in the period") }
        if duplicates > 0 { result.notes.append("\(duplicates) duplicate diary entr\(duplicates == 1 ? "y" : "ies") counted once") }
        if conflicting > 0 { result.notes.append("\(conflicting) day(s) with conflicting entries") }
        return result
    }
}

extension AdherenceEvaluator {
    /// The mean of exact fractions `covered / days`, in basis points rounded half up once:
    /// round(10000 · Σ(cᵢ/dᵢ) / n), computed on exact rationals (rounding each participant's PDC
    /// first can move the mean by a basis point). nil for no participant.
    static func meanBasisPoints(_ fractions: [(covered: Int, days: Int)]) -> Int? {
        var byDays: [Int: Int] = [:]
        var count = 0
        for fraction in fractions where fraction.days > 0 {
            byDays[fraction.days, default: 0] += fraction.covered
            count += 1
        }
        return meanBasisPoints(coveredByDays: byDays, count: count)
    }

    /// The same mean from the days covered summed per period length (`count` fractions in all),
    /// as a run adds them up participant by participant.
    static func meanBasisPoints(coveredByDays byDays: [Int: Int], count: Int) -> Int? {
        guard count > 0 else { return nil }
        // Σ cᵢ/dᵢ grouped by denominator, then as one fraction p/q.
        var p = BigInt(0), q = BigInt(1)
        for (days, covered) in byDays.sorted(by: { $0.key < $1.key }) {
            let d = BigInt(days)
            p = p * d + BigInt(covered) * q
            q *= d
            let g = p.greatestCommonDivisor(with: q)
            if g > 1 { p /= g; q /= g }
        }
        // round half up of 10000·p / (q·n) = floor((20000·p + q·n) / (2·q·n)).
        let n = BigInt(count)
        return Int((20_000 * p + q * n) / (2 * q * n))
    }
}
