import Ingest

/// A record as evidence: the id and leaf hash that name it in the workspace and in proofs.
public struct RecordRef: Equatable, Hashable, Sendable {
    public var id: Int64
    /// The record's RFC 6962 leaf hash (hex).
    public var leafHash: String

    public init(id: Int64, leafHash: String) {
        self.id = id
        self.leafHash = leafHash
    }
}

/// One measurement record as a contract sees it.
public struct Observation: Equatable, Sendable {
    public var ref: RecordRef
    public var site: String?
    public var visit: String
    public var item: String
    public var value: String
    public var observedAt: TrialTime

    public init(id: Int64, leafHash: String, site: String? = nil, visit: String, item: String, value: String, observedAt: TrialTime) {
        self.ref = RecordRef(id: id, leafHash: leafHash)
        self.site = site
        self.visit = visit
        self.item = item
        self.value = value
        self.observedAt = observedAt
    }
}

/// What the anchored artifacts say about one participant.
public struct ParticipantData: Equatable, Sendable {
    public var participant: String
    /// The start of their consent.
    public var consentedAt: TrialTime
    /// When their consent ended (a withdrawal), if it did.
    public var withdrawnAt: TrialTime?
    /// The consent records: the signed consent, and the withdrawal if there is one.
    public var consentRecords: [RecordRef]
    /// Their measurements, in record id order.
    public var observations: [Observation]

    public init(participant: String, consentedAt: TrialTime, withdrawnAt: TrialTime? = nil, consentRecords: [RecordRef] = [],
                observations: [Observation] = []) {
        self.participant = participant
        self.consentedAt = consentedAt
        self.withdrawnAt = withdrawnAt
        self.consentRecords = consentRecords
        self.observations = observations
    }

    /// The site of their first record: the earliest collected, and of records collected at the
    /// same time the first stored (the same "first" that completes a visit).
    public var site: String? { observations.min { ($0.observedAt, $0.ref.id) < ($1.observedAt, $1.ref.id) }?.site }
}

/// Everything a contract evaluates: the protocol and every consented participant (sorted by id).
/// Contracts are pure functions of this value.
public struct ContractInputs: Equatable, Sendable {
    public var trialProtocol: TrialProtocol
    public var participants: [ParticipantData]

    public init(trialProtocol: TrialProtocol, participants: [ParticipantData]) {
        self.trialProtocol = trialProtocol
        self.participants = participants.sorted { ContractInputs.precedes($0.participant, $1.participant) }
    }
}
