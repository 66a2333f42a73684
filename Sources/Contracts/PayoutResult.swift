/// What a payout contract computed: a line per visit rule and bonus for every participant,
/// each with the records that justify it.
public struct PayoutResult: Equatable, Sendable {
    /// How a line came out.
    public enum Status: String, Sendable {
        /// Completed within the visit's window.
        case onTime = "on-time"
        /// Completed after the window.
        case late
        /// Completed before the window.
        case early
        /// Completed, but the window could not be judged: the day-one visit is missing (paid as late).
        case noDayOne = "no-day-one"
        /// Not completed (no records, or required items missing).
        case notCompleted = "not-completed"
        /// Completed only after the participant withdrew: nothing is earned.
        case afterWithdrawal = "after-withdrawal"
        /// Bonus earned.
        case earned
        /// Bonus not earned.
        case notEarned = "not-earned"
    }

    public struct Line: Equatable, Sendable {
        /// `visit` or `completion-bonus`.
        public var milestone: String
        public var visit: String?
        /// The visit's name in the protocol (`Week 4`), for reading.
        public var visitName: String? = nil
        public var status: Status
        /// UTC date the credit was earned.
        public var earnedOn: String?
        public var studyDay: Int?
        public var window: ClosedRange<Int>?
        /// What the rule grants, before the participant cap.
        public var earned: Int64
        /// What is paid.
        public var amount: Int64
        public var records: [RecordRef]
        public var notes: [String]
    }

    public struct TaxYear: Equatable, Sendable {
        public var year: Int
        public var total: Int64
        public var reportable: Bool
    }

    public struct Participant: Equatable, Sendable {
        public var participant: String
        public var site: String?
        /// The currency their site is paid in.
        public var currency: Currency
        public var consentedAt: String
        public var withdrawnAt: String?
        public var dayOne: String?
        public var consentRecords: [RecordRef]
        public var lines: [Line]
        public var total: Int64
        public var taxYears: [TaxYear]
    }

    public struct SiteTotal: Equatable, Sendable {
        public var site: String
        public var currency: Currency
        /// The site's tax-reporting threshold, in its currency.
        public var taxThreshold: Int64?
        public var participants: Int
        public var total: Int64
        public var reportableParticipants: Int
    }

    /// A trial total in one currency.
    public struct CurrencyTotal: Equatable, Sendable {
        public var currency: Currency
        public var participants: Int
        public var total: Int64
    }

    /// The contract's own currency (sites may pay in others).
    public var currency: Currency
    public var participants: [Participant]
    public var sites: [SiteTotal]
    /// One total per currency paid, by currency code: never summed across currencies.
    public var totals: [CurrencyTotal]
    /// The contract's own threshold (sites may state theirs).
    public var taxThreshold: Int64?

    /// The trial total when everything is paid in one currency.
    public var total: Int64? { totals.count == 1 ? totals[0].total : (totals.isEmpty ? 0 : nil) }
}
