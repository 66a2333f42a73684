import Foundation

/// A point in time as trial files write it (ISO 8601 / FHIR dateTime), normalised to UTC.
///
/// Accepted: `YYYY-MM-DD` (midnight UTC) and `YYYY-MM-DDThh:mm[:ss[.fff]]` with `Z` or `±hh:mm`.
/// A date-time without a zone is refused: it cannot be placed on the UTC timeline.
public struct TrialTime: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let epochSeconds: Int64

    public init(epochSeconds: Int64) { self.epochSeconds = epochSeconds }

    /// Parses an ISO 8601 date or date-time.
    /// - returns: `nil` when the text is not one of the accepted forms or not a real date.
    public init?(_ text: String) {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for index in range {
                let c = chars[index]
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), day >= 1, day <= TrialTime.daysIn(month: month, year: year) else { return nil }
        var seconds = TrialTime.daysFromCivil(year: year, month: month, day: day) * 86_400
        if chars.count == 10 { self.epochSeconds = Int64(seconds); return }
        guard chars.count >= 16, chars[10] == UInt8(ascii: "T"), chars[13] == UInt8(ascii: ":"),
              let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60 else { return nil }
        seconds += hour * 3600 + minute * 60
        var index = 16
        if index < chars.count, chars[index] == UInt8(ascii: ":") {
            guard let second = number((index + 1)..<(index + 3)), second < 60 else { return nil }
            seconds += second
            index += 3
            if index < chars.count, chars[index] == UInt8(ascii: ".") {
                index += 1
                let start = index
                while index < chars.count, chars[index] >= 48, chars[index] <= 57 { index += 1 }
                guard index > start else { return nil }
            }
        }
        guard index < chars.count else { return nil }
        if chars[index] == UInt8(ascii: "Z"), index == chars.count - 1 {
            self.epochSeconds = Int64(seconds)
            return
        }
        guard chars.count - index == 6, chars[index] == UInt8(ascii: "+") || chars[index] == UInt8(ascii: "-"),
              chars[index + 3] == UInt8(ascii: ":"), let offsetHours = number((index + 1)..<(index + 3)),
              let offsetMinutes = number((index + 4)..<(index + 6)), offsetHours < 24, offsetMinutes < 60 else { return nil }
        let offset = offsetHours * 3600 + offsetMinutes * 60
        self.epochSeconds = Int64(chars[index] == UInt8(ascii: "+") ? seconds - offset : seconds + offset)
    }

    /// `YYYY-MM-DDThh:mm:ssZ`.
    public var description: String {
        let days = Int(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400)
        let rest = Int(epochSeconds - Int64(days) * 86_400)
        let (year, month, day) = TrialTime.civil(fromDays: days)
        // Hand-formatted: String(format:) dominated ingest time at a million rows.
        var out = [UInt8]()
        out.reserveCapacity(20)
        func put(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var rest = abs(value)
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = UInt8(48 + rest % 10)
                rest /= 10
            }
            out += digits
        }
        put(year, 4); out.append(45); put(month, 2); out.append(45); put(day, 2); out.append(84)
        put(rest / 3600, 2); out.append(58); put(rest % 3600 / 60, 2); out.append(58); put(rest % 60, 2); out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    /// The UTC calendar date, `YYYY-MM-DD`.
    public var date: String { String(description.prefix(10)) }

    /// Whole days since 1970-01-01 (UTC).
    public var dayNumber: Int { Int(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400) }

    public static func < (lhs: TrialTime, rhs: TrialTime) -> Bool { lhs.epochSeconds < rhs.epochSeconds }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
