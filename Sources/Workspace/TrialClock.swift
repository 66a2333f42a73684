import Foundation

/// UTC time stamps for what the workspace records.
///
/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention), when set, fixes the time, so that
/// tests and reproductions get identical bytes.
public struct TrialClock: Sendable {
    private let fixed: Date?

    /// The system clock, or `SOURCE_DATE_EPOCH` when the environment sets it.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        fixed = environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:))
    }

    /// A clock stopped at `date`.
    public init(fixed date: Date) { fixed = date }

    /// Now.
    public var now: Date { fixed ?? Date() }

    /// Now as `YYYY-MM-DDTHH:MM:SSZ`.
    public var timestamp: String { TrialClock.format(now) }

    /// A date as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return String(format: "%04d", c.year ?? 0) + "-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }
}
