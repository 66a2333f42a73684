/// What an adherence contract computed: per participant, and pooled per arm, per site and overall.
///
/// Ratios are integer basis points (1/100 of a percent), rounded half up: 87.5% is 8750.
public struct AdherenceResult: Equatable, Sendable {
    public struct Participant: Equatable, Sendable {
        public var participant: String
        public var site: String?
        public var arm: String?
        /// First and last day of the dosing period (UTC dates); `nil` when no dose was scheduled.
        public var periodFrom: String?
        public var periodTo: String?
        public var daysInPeriod: Int
        public var dosesScheduled: Int
        public var dosesTaken: Int
        public var daysCovered: Int
        /// Proportion of days covered; `nil` when no dose was scheduled.
        public var pdcBasisPoints: Int?
        /// Doses taken / doses scheduled; `nil` when no dose was scheduled.
        public var dosesBasisPoints: Int?
        /// Below the threshold (judged on the proportion of days covered, exactly, not rounded).
        public var belowThreshold: Bool
        /// Diary entries beyond the doses scheduled for their day (counted once).
        public var duplicateEntries: Int
        /// Days with both "taken" and "not taken" entries.
        public var conflictingDays: Int
        /// Diary entries outside the dosing period (not counted).
        public var entriesOutsidePeriod: Int
        /// The diary records counted, and the record that dates day one.
        public var records: [RecordRef]
        public var notes: [String]
    }

    /// Pooled figures for a group of participants (an arm, a site, or everyone).
    public struct Group: Equatable, Sendable {
        public var key: String
        public var name: String?
        public var participants: Int
        /// Participants with at least one scheduled dose.
        public var evaluable: Int
        public var belowThreshold: Int
        public var dosesScheduled: Int
        public var dosesTaken: Int
        /// Doses taken / scheduled over the group.
        public var pooledBasisPoints: Int?
        /// Mean of the participants' proportion of days covered.
        public var meanPdcBasisPoints: Int?
    }

    public var thresholdBasisPoints: Int
    public var participants: [Participant]
    public var arms: [Group]
    public var sites: [Group]
    public var overall: Group

    /// `numerator / denominator` in basis points, rounded half up; `nil` for a zero denominator.
    public static func basisPoints(_ numerator: Int, _ denominator: Int) -> Int? {
        guard denominator > 0 else { return nil }
        return (numerator * 20_000 + denominator) / (2 * denominator)
    }

    /// `8750` → `87.50%`.
    public static func percent(_ basisPoints: Int?) -> String {
        guard let basisPoints else { return "n/a" }
        let fraction = basisPoints % 100
        return "\(basisPoints / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
    }
}
