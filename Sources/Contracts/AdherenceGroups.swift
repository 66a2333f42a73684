import Ingest

/// Pooled adherence figures per arm, per site and overall, added up participant by participant
/// as they are evaluated (the participants themselves are written out and not kept).
struct AdherenceGroups {
    /// What a group needs of its members: counts, sums, and the members' proportions of days
    /// covered summed exactly per period length (for the exact mean).
    struct Tally {
        var participants = 0
        var evaluable = 0
        var belowThreshold = 0
        var dosesScheduled = 0
        var dosesTaken = 0
        var coveredByDays: [Int: Int] = [:]
        var fractions = 0

        mutating func add(_ participant: AdherenceResult.Participant) {
            participants += 1
            if participant.belowThreshold { belowThreshold += 1 }
            guard participant.dosesScheduled > 0 else { return }
            evaluable += 1
            dosesScheduled += participant.dosesScheduled
            dosesTaken += participant.dosesTaken
            if participant.daysInPeriod > 0 {
                coveredByDays[participant.daysInPeriod, default: 0] += participant.daysCovered
                fractions += 1
            }
        }

        func group(_ key: String, _ name: String?) -> AdherenceResult.Group {
            AdherenceResult.Group(key: key, name: name, participants: participants, evaluable: evaluable, belowThreshold: belowThreshold,
                                  dosesScheduled: dosesScheduled, dosesTaken: dosesTaken,
                                  pooledBasisPoints: AdherenceResult.basisPoints(dosesTaken, dosesScheduled),
                                  meanPdcBasisPoints: AdherenceEvaluator.meanBasisPoints(coveredByDays: coveredByDays, count: fractions))
        }
    }

    let byArm: Bool
    let armNames: [String: String]
    private var arms: [String: Tally] = [:]
    private var sites: [String: Tally] = [:]
    private var everyone = Tally()

    init(terms: AdherenceTerms, model: TrialProtocol) {
        byArm = terms.armItem != nil
        armNames = Dictionary(model.arms.map { ($0.oid, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func add(_ participant: AdherenceResult.Participant) {
        if byArm { arms[participant.arm ?? "(unassigned)", default: Tally()].add(participant) }
        sites[participant.site ?? "(none)", default: Tally()].add(participant)
        everyone.add(participant)
    }

    var armGroups: [AdherenceResult.Group] { arms.map { $0.value.group($0.key, armNames[$0.key]) }.sorted { $0.key < $1.key } }
    var siteGroups: [AdherenceResult.Group] { sites.map { $0.value.group($0.key, armNames[$0.key]) }.sorted { $0.key < $1.key } }
    var overall: AdherenceResult.Group { everyone.group("all", nil) }
}
