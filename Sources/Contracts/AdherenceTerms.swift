/// The terms of an adherence contract: which diary item records doses, over which period, and
/// the threshold below which a participant is flagged.
public struct AdherenceTerms: Equatable, Sendable {
    /// The visit (event) the diary is recorded under, e.g. `SE.DIARY`; `nil`: any visit.
    public var dosingVisit: String?
    /// The item recording a dose, e.g. `IT.DOSE_TAKEN`.
    public var dosingItem: String
    /// The values that mean "dose taken", e.g. `["Y"]`.
    public var takenValues: [String]
    /// Doses scheduled per day.
    public var dosesPerDay: Int
    /// The visit whose date is the first day of dosing.
    public var periodFrom: String
    /// Length of the dosing period in days (from `periodFrom`'s date)…
    public var periodDays: Int?
    /// …or the visit whose date ends it (that day not included); if that visit is missing, the
    /// period runs to the visit's planned study day.
    public var periodTo: String?
    /// The item holding the randomised arm, and the visit it is recorded at.
    public var armItem: String?
    public var armVisit: String?
    /// The threshold in basis points (80% = 8000).
    public var thresholdBasisPoints: Int
    /// Lines of keys naming protocol visits and items, for errors.
    public var lines: [String: Int]

    public init(dosingVisit: String?, dosingItem: String, takenValues: [String], dosesPerDay: Int = 1, periodFrom: String,
                periodDays: Int? = nil, periodTo: String? = nil, armItem: String? = nil, armVisit: String? = nil,
                thresholdBasisPoints: Int = 8000, lines: [String: Int] = [:]) {
        self.dosingVisit = dosingVisit
        self.dosingItem = dosingItem
        self.takenValues = takenValues
        self.dosesPerDay = dosesPerDay
        self.periodFrom = periodFrom
        self.periodDays = periodDays
        self.periodTo = periodTo
        self.armItem = armItem
        self.armVisit = armVisit
        self.thresholdBasisPoints = thresholdBasisPoints
        self.lines = lines
    }
}
