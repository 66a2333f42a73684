import Ingest

/// Evaluates payout terms over the anchored inputs. Pure and deterministic: integer money, UTC
/// dates, participants in id order, lines in contract order.
public struct PayoutEvaluator: Sendable {
    public let terms: PayoutTerms

    public init(terms: PayoutTerms) { self.terms = terms }

    /// A visit's completion: when, and by which records.
    struct Completion {
        var at: TrialTime
        var evidence: [RecordRef]
        var otherDates: [String]
    }

    public func evaluate(_ inputs: ContractInputs) throws -> PayoutResult {
        try assemble(inputs.participants.map { evaluate($0, inputs.trialProtocol) })
    }

    /// The result from the participants' lines (in participant order): site totals, and trial
    /// totals per currency (amounts in different currencies are never added up).
    /// - throws: `ContractError.overflow` if a total would not fit in 64 bits.
    func assemble(_ participants: [PayoutResult.Participant]) throws -> PayoutResult {
        var totals = PayoutTotals(terms: terms)
        for participant in participants { try totals.add(participant) }
        return PayoutResult(currency: terms.currency, participants: participants, sites: totals.siteTotals,
                            totals: totals.currencyTotals, taxThreshold: terms.taxThreshold)
    }

    func evaluate(_ data: ParticipantData, _ model: TrialProtocol) -> PayoutResult.Participant {
        // A participant is paid under their site's terms (its currency, amounts and limits).
        if let site = data.site, let local = terms.sites[site] {
            return PayoutEvaluator(terms: local).evaluateUnderTheseTerms(data, model)
        }
        return evaluateUnderTheseTerms(data, model)
    }

    func evaluateUnderTheseTerms(_ data: ParticipantData, _ model: TrialProtocol) -> PayoutResult.Participant {
        // Records at or after the withdrawal are never evidence of anything: no completion, no
        // day one, no credit. Only the records before it are read.
        let withdrawn = data.withdrawnAt
        var byVisit: [String: [Observation]] = [:]
        var afterWithdrawal: [String: Int] = [:]
        for observation in data.observations {
            if let withdrawn, observation.observedAt >= withdrawn {
                afterWithdrawal[observation.visit, default: 0] += 1
            } else {
                byVisit[observation.visit, default: []].append(observation)
            }
        }
        let dayOne = completion(of: PayoutTerms.VisitRule(visit: terms.dayOne, onTime: 0), byVisit)?.at.dayNumber

        var lines: [PayoutResult.Line] = []
        var completed: [String: (status: PayoutResult.Status, completion: Completion)] = [:]
        for rule in terms.visits {
            let visit = model.visit(rule.visit)
            let window = visit.flatMap(StudyCalendar.window)
            guard let done = completion(of: rule, byVisit) else {
                lines.append(missed(rule, byVisit, afterWithdrawal: afterWithdrawal[rule.visit] ?? 0, window: window, withdrawn: withdrawn))
                continue
            }
            var notes = done.otherDates.map { "also recorded on \($0): paid once" }
            let studyDay = dayOne.map { StudyCalendar.studyDay(done.at.dayNumber, dayOne: $0) }
            let status: PayoutResult.Status
            let earned: Int64
            if let dayOne, let offsets = visit.flatMap(StudyCalendar.offsetWindow) {
                // Windows are calendar days around the planned date.
                let offset = done.at.dayNumber - dayOne
                if offsets.contains(offset) {
                    (status, earned) = (.onTime, rule.onTime)
                } else if offset > offsets.upperBound {
                    (status, earned) = (.late, rule.late)
                    notes.append("\(offset - offsets.upperBound) day(s) after the window")
                } else {
                    (status, earned) = (.early, rule.early)
                    notes.append("\(offsets.lowerBound - offset) day(s) before the window")
                }
            } else {
                status = .noDayOne
                switch terms.noDayOne {
                case .late: earned = rule.late
                case .onTime: earned = rule.onTime
                case let .amount(amount): earned = amount
                }
                notes.append("study day unknown: \(terms.dayOne) was not completed\(withdrawn == nil ? "" : " before withdrawal"); paid as the contract's no-day-one rule says")
            }
            if (afterWithdrawal[rule.visit] ?? 0) > 0, let withdrawn {
                notes.append("\(afterWithdrawal[rule.visit]!) record(s) after withdrawal on \(withdrawn.date) not counted")
            }
            completed[rule.visit] = (status, done)
            lines.append(.init(milestone: "visit", visit: rule.visit, status: status, earnedOn: done.at.date, studyDay: studyDay,
                               window: window, earned: earned, amount: earned, records: done.evidence, notes: notes))
        }
        for index in lines.indices { lines[index].visitName = lines[index].visit.flatMap { model.visit($0)?.name } }
        if let bonus = terms.bonus { lines.append(bonusLine(bonus, completed, data)) }
        applyCap(&lines)
        // At most 200 rules of at most 10^10 − 1 minor units each, and a bonus below 201 × that:
        // a participant's total always fits.
        let total = lines.reduce(0) { $0 + $1.amount }
        return PayoutResult.Participant(
            participant: data.participant, site: data.site, currency: terms.currency, consentedAt: data.consentedAt.description,
            withdrawnAt: data.withdrawnAt?.description, dayOne: dayOne.map(StudyCalendar.date), consentRecords: data.consentRecords,
            lines: lines, total: total, taxYears: taxYears(lines))
    }

    /// The line of a visit that was not completed before withdrawal, saying why: no record,
    /// missing items, or records only after the withdrawal (which are not a completion).
    func missed(_ rule: PayoutTerms.VisitRule, _ byVisit: [String: [Observation]], afterWithdrawal: Int,
                window: ClosedRange<Int>?, withdrawn: TrialTime?) -> PayoutResult.Line {
        var notes: [String] = []
        let present = Set((byVisit[rule.visit] ?? []).map(\.item))
        let missing = rule.items.filter { !present.contains($0) }
        var status = PayoutResult.Status.notCompleted
        if present.isEmpty && afterWithdrawal > 0, let withdrawn {
            status = .afterWithdrawal
            notes.append("recorded only after withdrawal on \(withdrawn.date) (\(afterWithdrawal) record(s)): not a completion, no credit")
        } else if present.isEmpty {
            notes.append("no record")
        } else if !missing.isEmpty {
            notes.append("missing items: \(missing.joined(separator: ", "))")
        }
        if let withdrawn, status != .afterWithdrawal { notes.append("withdrew \(withdrawn.date)") }
        return .init(milestone: "visit", visit: rule.visit, status: status, earnedOn: nil, studyDay: nil, window: window,
                     earned: 0, amount: 0, records: [], notes: notes)
    }

    /// When a visit was completed: with no required items, at its first record (evidence: the
    /// records of that day); with required items, when the last of them was first recorded
    /// (evidence: the first record of each). Other days the visit was recorded on are duplicates.
    func completion(of rule: PayoutTerms.VisitRule, _ byVisit: [String: [Observation]]) -> Completion? {
        let observations = (byVisit[rule.visit] ?? []).sorted { ($0.observedAt, $0.ref.id) < ($1.observedAt, $1.ref.id) }
        guard let first = observations.first else { return nil }
        let at: TrialTime
        var evidence: [RecordRef]
        if rule.items.isEmpty {
            at = first.observedAt
            evidence = observations.filter { $0.observedAt.dayNumber == at.dayNumber }.map(\.ref)
        } else {
            var firsts: [Observation] = []
            for item in rule.items {
                guard let found = observations.first(where: { $0.item == item }) else { return nil }
                firsts.append(found)
            }
            at = firsts.map(\.observedAt).max()!
            evidence = firsts.map(\.ref)
        }
        evidence.sort { $0.id < $1.id }
        let otherDays = Set(observations.map(\.observedAt.dayNumber)).subtracting([at.dayNumber]).filter { $0 > at.dayNumber }
        return Completion(at: at, evidence: evidence, otherDates: otherDays.sorted().map(StudyCalendar.date))
    }

    func bonusLine(_ bonus: PayoutTerms.Bonus, _ completed: [String: (status: PayoutResult.Status, completion: Completion)],
                   _ data: ParticipantData) -> PayoutResult.Line {
        let missing = bonus.requires.filter { completed[$0] == nil }
        guard missing.isEmpty else {
            var notes = ["requires \(missing.joined(separator: ", ")) completed before withdrawal"]
            if let withdrawn = data.withdrawnAt { notes.append("withdrew \(withdrawn.date)") }
            return .init(milestone: "completion-bonus", visit: nil, status: .notEarned, earnedOn: nil, studyDay: nil, window: nil,
                         earned: 0, amount: 0, records: [], notes: notes)
        }
        let onTime = Int64(completed.values.filter { $0.status == .onTime }.count)
        var earned = bonus.amount + bonus.perOnTimeVisit * onTime
        var notes: [String] = []
        if bonus.perOnTimeVisit > 0 { notes.append("\(onTime) visit(s) on time") }
        if let cap = bonus.cap, earned > cap {
            notes.append("bonus cap \(terms.currency.format(cap)) applied (computed \(terms.currency.format(earned)))")
            earned = cap
        }
        let at = bonus.requires.map { completed[$0]!.completion.at }.max()!
        let records = Set(bonus.requires.flatMap { completed[$0]!.completion.evidence }).sorted { $0.id < $1.id }
        return .init(milestone: "completion-bonus", visit: nil, status: .earned, earnedOn: at.date, studyDay: nil, window: nil,
                     earned: earned, amount: earned, records: records, notes: notes)
    }

    /// The participant cap, applied in the order credit was earned (date, then contract order).
    func applyCap(_ lines: inout [PayoutResult.Line]) {
        guard let cap = terms.participantCap else { return }
        let order = lines.indices.filter { lines[$0].earned > 0 }.sorted { (lines[$0].earnedOn ?? "", $0) < (lines[$1].earnedOn ?? "", $1) }
        var paid: Int64 = 0
        for index in order {
            let amount = min(lines[index].earned, max(0, cap - paid))
            if amount < lines[index].earned {
                lines[index].notes.append("participant cap \(terms.currency.format(cap)) reached: \(terms.currency.format(amount)) of \(terms.currency.format(lines[index].earned)) paid")
            }
            lines[index].amount = amount
            paid += amount
        }
    }

    /// Totals per calendar year of the date earned, flagged at the tax-reporting threshold.
    func taxYears(_ lines: [PayoutResult.Line]) -> [PayoutResult.TaxYear] {
        var years: [Int: Int64] = [:]
        for line in lines where line.amount > 0 {
            guard let date = line.earnedOn, let year = Int(date.prefix(4)) else { continue }
            years[year, default: 0] += line.amount
        }
        return years.keys.sorted().map { year in
            PayoutResult.TaxYear(year: year, total: years[year]!, reportable: terms.taxThreshold.map { years[year]! >= $0 } ?? false)
        }
    }
}
