import Ingest

/// Study days as CDISC counts them: the day-one visit's date is day 1, the day before it day −1
/// (there is no day 0). Dates are UTC calendar dates.
public enum StudyCalendar {
    /// The study day of a date (days since 1970) given the day-one date.
    public static func studyDay(_ day: Int, dayOne: Int) -> Int {
        let offset = day - dayOne
        return offset >= 0 ? offset + 1 : offset
    }

    /// The window of a visit in study days: planned day minus the days allowed before, to planned
    /// day plus the days allowed after.
    public static func window(of visit: TrialProtocol.Visit) -> ClosedRange<Int>? {
        guard let planned = visit.plannedDay else { return nil }
        return (planned - (visit.windowBefore ?? 0))...(planned + (visit.windowAfter ?? 0))
    }

    /// `YYYY-MM-DD` of a day number.
    public static func date(_ day: Int) -> String {
        String(TrialTime(epochSeconds: Int64(day) * 86_400).date)
    }
}
