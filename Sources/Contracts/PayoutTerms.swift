/// The terms of a payout contract: what a participant earns for which visit, and the limits.
public struct PayoutTerms: Equatable, Sendable {
    /// The largest amount a contract may state, in minor units (10^10 − 1: 99,999,999.99 EUR,
    /// 9,999,999,999 JPY, 9,999,999.999 KWD). With at most `maximumVisitRules` rules a
    /// participant's total stays below 401 × this, and the totals of up to 1,000,000 participants
    /// below what a signed 64-bit integer holds; evaluation checks every sum all the same.
    public static let maximumAmount: Int64 = 9_999_999_999
    /// The most visit rules one contract may have.
    public static let maximumVisitRules = 200

    /// What a visit completed before withdrawal earns when its window cannot be judged because
    /// the participant never completed the day-one visit (before withdrawing).
    public enum NoDayOne: Equatable, Sendable {
        /// The visit's `late` amount (the default).
        case late
        /// The visit's `on-time` amount.
        case onTime
        /// A fixed amount (minor units) for every such visit.
        case amount(Int64)
    }

    /// What one visit pays.
    public struct VisitRule: Equatable, Sendable {
        public var visit: String
        /// Paid when the visit is completed within its protocol window.
        public var onTime: Int64
        /// Paid when it is completed after the window (0: nothing).
        public var late: Int64
        /// Paid when it is completed before the window (defaults to the late amount).
        public var early: Int64
        /// Items that must all be recorded for the visit to count as completed (empty: any record).
        public var items: [String]
        /// The line of the rule in the contract file.
        public var line: Int

        public init(visit: String, onTime: Int64, late: Int64 = 0, early: Int64? = nil, items: [String] = [], line: Int = 0) {
            self.visit = visit
            self.onTime = onTime
            self.late = late
            self.early = early ?? late
            self.items = items
            self.line = line
        }
    }

    /// A completion bonus: `amount`, plus `perOnTimeVisit` for each visit completed in window,
    /// never more than `cap`, earned when every visit in `requires` is completed before withdrawal.
    public struct Bonus: Equatable, Sendable {
        public var requires: [String]
        public var amount: Int64
        public var perOnTimeVisit: Int64
        public var cap: Int64?
        public var line: Int

        public init(requires: [String], amount: Int64, perOnTimeVisit: Int64 = 0, cap: Int64? = nil, line: Int = 0) {
            self.requires = requires
            self.amount = amount
            self.perOnTimeVisit = perOnTimeVisit
            self.cap = cap
            self.line = line
        }
    }

    public var currency: Currency
    /// The visit whose date is study day 1 (windows are counted from it).
    public var dayOne: String
    public var visits: [VisitRule]
    public var bonus: Bonus?
    /// The most one participant can be paid under the contract, bonus included.
    public var participantCap: Int64?
    /// Yearly total (per participant, per calendar year, UTC) from which payments are reportable for tax.
    public var taxThreshold: Int64?
    /// Lines of the keys that name protocol visits or items, for errors.
    public var dayOneLine: Int
    /// What a visit earns when there is no day one to judge its window by.
    public var noDayOne: NoDayOne
    /// Terms of particular sites (by site id), each complete: a multi-country trial pays each
    /// site in its own currency. Sites not listed use the contract's terms.
    public var sites: [String: PayoutTerms]

    /// The terms a participant of `site` is paid under.
    public func resolved(forSite site: String?) -> PayoutTerms {
        site.flatMap { sites[$0] } ?? self
    }

    public init(currency: Currency, dayOne: String, visits: [VisitRule], bonus: Bonus? = nil, participantCap: Int64? = nil,
                taxThreshold: Int64? = nil, dayOneLine: Int = 0, noDayOne: NoDayOne = .late, sites: [String: PayoutTerms] = [:]) {
        self.noDayOne = noDayOne
        self.sites = sites
        self.currency = currency
        self.dayOne = dayOne
        self.visits = visits
        self.bonus = bonus
        self.participantCap = participantCap
        self.taxThreshold = taxThreshold
        self.dayOneLine = dayOneLine
    }
}
