/// Site and trial totals of a payout run, added up participant by participant as they are
/// evaluated (the participants themselves are written out and not kept).
struct PayoutTotals {
    let terms: PayoutTerms
    private var sites: [String: PayoutResult.SiteTotal] = [:]
    private var totals: [String: PayoutResult.CurrencyTotal] = [:]

    init(terms: PayoutTerms) { self.terms = terms }

    /// Adds a participant's total to their site's and to the trial's in their currency (amounts
    /// in different currencies are never added up).
    /// - throws: `ContractError.overflow` if a total would not fit in 64 bits (only possible past
    ///   about a million participants paid the largest amounts).
    mutating func add(_ participant: PayoutResult.Participant) throws {
        let site = participant.site ?? "(none)"
        let local = terms.resolved(forSite: participant.site)
        var total = sites[site] ?? PayoutResult.SiteTotal(site: site, currency: local.currency, taxThreshold: local.taxThreshold,
                                                          participants: 0, total: 0, reportableParticipants: 0)
        total.participants += 1
        total.total = try Money.add(total.total, participant.total, "the total of site \(site)")
        if participant.taxYears.contains(where: \.reportable) { total.reportableParticipants += 1 }
        sites[site] = total
        let code = participant.currency.code
        var trial = totals[code] ?? PayoutResult.CurrencyTotal(currency: participant.currency, participants: 0, total: 0)
        trial.participants += 1
        trial.total = try Money.add(trial.total, participant.total, "the trial total in \(code)")
        totals[code] = trial
    }

    /// Site totals by site.
    var siteTotals: [PayoutResult.SiteTotal] { sites.values.sorted { $0.site < $1.site } }
    /// Trial totals by currency code.
    var currencyTotals: [PayoutResult.CurrencyTotal] { totals.values.sorted { $0.currency.code < $1.currency.code } }
}
