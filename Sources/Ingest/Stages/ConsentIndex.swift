import Attestation

/// Who consented, from when, and who withdrew when: the consent rules measurements are held to.
///
/// A participant is consented from the earliest start of an accepted consent until the earliest
/// end any of their consents states (a withdrawal). Data collected outside that period is rejected.
public struct ConsentIndex: Sendable {
    public struct Period: Equatable, Sendable {
        public var from: TrialTime
        public var until: TrialTime?
    }

    public private(set) var periods: [String: Period] = [:]

    public init() {}

    /// Adds one accepted consent.
    public mutating func add(participant: String, start: TrialTime, end: TrialTime?) {
        var period = periods[participant] ?? Period(from: start, until: end)
        period.from = min(period.from, start)
        if let end { period.until = period.until.map { min($0, end) } ?? end }
        periods[participant] = period
    }

    /// Builds the index from consent artifacts (the JSON the consents stage writes).
    public init(artifacts: [JSONValue]) {
        for artifact in artifacts { add(artifact: artifact) }
    }

    /// Adds the consents of one consent artifact (the JSON the consents stage writes): callers
    /// with many artifacts parse and add them one at a time, so only the index stays in memory.
    public mutating func add(artifact: JSONValue) {
        for consent in artifact["consents"]?.arrayValue ?? [] {
            guard let participant = consent["participant"]?.stringValue,
                  let start = consent["periodStart"]?.stringValue.flatMap(TrialTime.init) else { continue }
            add(participant: participant, start: start, end: consent["periodEnd"]?.stringValue.flatMap(TrialTime.init))
        }
    }

    /// Nil when `time` is inside the participant's consent, else why not.
    public func problem(participant: String, at time: TrialTime) -> String? {
        guard let period = periods[participant] else { return "participant \(participant) has no accepted consent" }
        if time < period.from { return "collected \(time) before \(participant) consented (\(period.from))" }
        if let until = period.until, time >= until { return "collected \(time) after \(participant) withdrew consent (\(until))" }
        return nil
    }
}
