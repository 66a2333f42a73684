import Ingest

/// Study days as CDISC counts them: the day-one visit's date is day 1, the day before it day −1
/// (there is no day 0). Dates are UTC calendar dates.
public enum StudyCalendar {
    /// The study day of a date (days since 1970) given the day-one date.
    public static func studyDay(_ day: Int, dayOne: Int) -> Int {
        let offset = day - dayOne
        return offset >= 0 ? offset + 1 : offset
    }

    /// Calendar days from day one to a study day: day 1 is 0 days after day one, day −1 one day
    /// before it (there is no day 0).
    public static func offset(ofStudyDay day: Int) -> Int { day >= 1 ? day - 1 : day }

    /// The study day that lies `offset` calendar days from day one.
    public static func studyDay(offset: Int) -> Int { offset >= 0 ? offset + 1 : offset }

    /// A visit's window in calendar days from day one: the planned date minus the days allowed
    /// before, to the planned date plus the days allowed after. Counted on the calendar, a window
    /// never loses a day to the missing day 0 (planned day −1 with 2 days after reaches day 2).
    public static func offsetWindow(of visit: TrialProtocol.Visit) -> ClosedRange<Int>? {
        guard let planned = visit.plannedDay else { return nil }
        let center = offset(ofStudyDay: planned)
        return (center - (visit.windowBefore ?? 0))...(center + (visit.windowAfter ?? 0))
    }

    /// The same window as study days (its first and last day), for reading.
    public static func window(of visit: TrialProtocol.Visit) -> ClosedRange<Int>? {
        offsetWindow(of: visit).map { studyDay(offset: $0.lowerBound)...studyDay(offset: $0.upperBound) }
    }

    /// `YYYY-MM-DD` of a day number.
    public static func date(_ day: Int) -> String {
        String(TrialTime(epochSeconds: Int64(day) * 86_400).date)
    }
}
