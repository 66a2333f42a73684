import Attestation
import Foundation

/// How a REDCap data export (the standard CSV export, raw values) becomes measurements: one row
/// per record and event (and repeat instance), one column per field.
///
/// - the first column is the record id: the participant;
/// - `redcap_event_name` names the event (a visit, by the protocol's `redcap:UniqueEventName`);
///   a classic project without it has one event;
/// - `redcap_data_access_group` is the site (else `site`, for every row);
/// - `redcap_repeat_instrument`, `redcap_repeat_instance`, `redcap_survey_identifier`, survey
///   `*_timestamp` and form status `*_complete` columns are not measurements;
/// - every other column is a field of the protocol (a checkbox option is its own field,
///   `name___code`); each filled cell is one measurement, a blank cell is none;
/// - a row's collection time is the first filled of `dateFields` (REDCap keeps no time per
///   value). REDCap stores dates and times as typed, with no zone: a date-time is read in the
///   site's time zone (IANA, daylight saving included) and stored in UTC; a date alone keeps its
///   calendar date (midnight UTC). Date-time field values are converted the same way.
public struct REDCapLayout: Equatable, Sendable {
    /// Fields whose first filled value in a row is its collection date or time.
    public var dateFields: [String]
    /// IANA time zone by site; the key `*` is for every other site.
    public var timeZones: [String: String]
    /// The site of every row when the export has no `redcap_data_access_group`.
    public var site: String?
    /// Units by field (REDCap has no unit attribute).
    public var units: [String: String]

    public init(dateFields: [String], timeZones: [String: String], site: String? = nil, units: [String: String] = [:]) throws {
        guard !dateFields.isEmpty else { throw REDCapError.setting("name the field(s) that date each row (--date-field FIELD): REDCap keeps no collection time per value") }
        guard !timeZones.isEmpty else {
            throw REDCapError.setting("REDCap dates and times have no time zone: give each site's (--time-zone Europe/Berlin for all, or --time-zone SITE=ZONE per site)")
        }
        for (site, zone) in timeZones where TimeZone(identifier: zone) == nil {
            throw REDCapError.setting("\(zone) (for \(site == "*" ? "every site" : "site \(site)")) is not an IANA time zone (like Europe/Berlin)")
        }
        self.dateFields = dateFields
        self.timeZones = timeZones
        self.site = site
        self.units = units
    }

    /// Reads `--time-zone` values: `ZONE` (every site) or `SITE=ZONE`.
    public static func timeZones(_ values: [String]) -> [String: String] {
        var zones: [String: String] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { zones[parts[0]] = parts[1] } else { zones["*"] = value }
        }
        return zones
    }

    /// What the stage's attestation records (part of what makes a run "unchanged").
    public var parameters: JSONValue {
        var object: [String: JSONValue] = [
            "dateFields": .array(dateFields.map(JSONValue.string)), "timeZones": .object(timeZones.mapValues(JSONValue.string)),
            "units": .object(units.mapValues(JSONValue.string)),
        ]
        if let site { object["site"] = .string(site) }
        return .object(object)
    }

    /// The zone of a site's wall clock.
    func zone(forSite site: String) -> TimeZone? {
        (timeZones[site] ?? timeZones["*"]).flatMap(TimeZone.init(identifier:))
    }

    /// A REDCap date or date-time in UTC: `YYYY-MM-DD` keeps its calendar date (midnight UTC);
    /// `YYYY-MM-DD hh:mm[:ss]` is read in `zone`; a value with its own zone (ISO 8601) is kept.
    /// - returns: the time, or why not (a time that does not exist or exists twice in the zone
    ///   when the clocks change is refused, not guessed).
    static func utc(_ text: String, zone: TimeZone?) -> Result<TrialTime, REDCapError> {
        if text.count == 10, let date = TrialTime(text) { return .success(date) }
        if let zoned = TrialTime(text) { return .success(zoned) }
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        guard let naive = TrialTime(normalized.count == 16 ? normalized + ":00Z" : normalized + "Z"), normalized.count == 16 || normalized.count == 19 else {
            return .failure(.value("\"\(text)\" is not a REDCap date (YYYY-MM-DD) or date-time (YYYY-MM-DD hh:mm[:ss])"))
        }
        guard let zone else { return .failure(.value("\"\(text)\" has no time zone and none is set for this site (--time-zone SITE=ZONE)")) }
        // Every instant whose local time in the zone is this wall-clock time.
        let wall = naive.epochSeconds
        var instants: Set<Int64> = []
        for probe in [wall - 86_400, wall, wall + 86_400] {
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe))))
            let instant = wall - offset
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))) == offset { instants.insert(instant) }
        }
        switch instants.count {
        case 1: return .success(TrialTime(epochSeconds: instants.first!))
        case 0: return .failure(.value("\"\(text)\" does not exist in \(zone.identifier) (the clocks went forward)"))
        default: return .failure(.value("\"\(text)\" happened twice in \(zone.identifier) (the clocks went back): it cannot be placed in time"))
        }
    }
}

/// A REDCap layout that cannot be used, or a value that cannot be read.
public enum REDCapError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stage setting is missing or wrong.
    case setting(String)
    /// A column of the export that the protocol does not define, or a missing one.
    case column(file: String, message: String)
    /// A value of a row (becomes a reject's reason).
    case value(String)

    public var description: String {
        switch self {
        case let .setting(message): return "REDCap layout: \(message)"
        case let .column(file, message): return "\(file):1: \(message)"
        case let .value(message): return message
        }
    }
}
