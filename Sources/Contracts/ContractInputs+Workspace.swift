import Attestation
import Ingest
import Workspace

/// What a contract reads from a workspace, read participant by participant: the protocol and the
/// consents up front (small), then each consented participant's current measurement records, one
/// participant at a time, so that memory does not grow with the number of records.
public struct AnchoredInputs {
    public let trialProtocol: TrialProtocol
    /// Every artifact version read and the record root of every run whose records are read.
    public let materials: [StageMaterial]
    let workspace: Workspace
    let consented: [String: ParticipantData]
    let runs: Set<Int64>?

    /// The inputs as anchored now (`asOf: nil`), or exactly as a past contract run read them,
    /// from the materials its attestation names (the protocol version and the record runs).
    /// - throws: `ContractError.missingInput` when the protocol or the consents were never ingested.
    public init(workspace: Workspace, asOf past: [StageMaterial]? = nil) throws {
        self.workspace = workspace
        let protocolVersion: ArtifactVersion
        if let past {
            guard let material = past.first(where: { $0.name.hasPrefix("protocol@v") }), let number = Int(material.name.dropFirst("protocol@v".count)) else {
                throw ContractError.missingInput("the run's materials name no protocol version")
            }
            protocolVersion = ArtifactVersion(name: "protocol", version: number, sha256: material.sha256)
            guard let read = TrialProtocol(json: try JSONValue.parse(try workspace.artifactBytes(protocolVersion))) else {
                throw ContractError.missingInput("the protocol artifact v\(number) cannot be read")
            }
            trialProtocol = read
            runs = Set(past.compactMap { material -> Int64? in
                guard material.name.hasPrefix("records of run ") else { return nil }
                return Int64(material.name.dropFirst("records of run ".count).prefix { $0.isNumber })
            })
        } else {
            (trialProtocol, protocolVersion) = try Ingestor(workspace: workspace).currentProtocol()
            runs = nil
        }
        let consentMaterials = try ConsentIndexArtifact.materials(in: workspace)
        guard !consentMaterials.isEmpty else {
            throw ContractError.missingInput("no consents have been ingested yet: contracts pay only consented participants (run `trialchain ingest consents` first)")
        }
        let measurementVersions = try workspace.latestArtifacts(prefix: "measurements/")
        var participants: [String: ParticipantData] = [:]
        var problems: [String] = []
        let consentRuns = try workspace.forEachCurrentRecord(prefix: "consents/", withCanonical: true, among: runs) { record in
            // An erased participant's records keep only their leaf hashes: they take no part.
            guard record.canonical != nil else { return }
            guard let canonical = record.canonical, let content = try? JSONValue.parse(canonical)["record"],
                  let start = content["periodStart"]?.stringValue.flatMap(TrialTime.init) else {
                problems.append("consent record \(record.id) cannot be read")
                return
            }
            let end = content["periodEnd"]?.stringValue.flatMap(TrialTime.init)
            var data = participants[record.participant] ?? ParticipantData(participant: record.participant, consentedAt: start)
            data.consentedAt = min(data.consentedAt, start)
            if let end { data.withdrawnAt = data.withdrawnAt.map { min($0, end) } ?? end }
            data.consentRecords.append(RecordRef(id: record.id, leafHash: record.leafHash.hex))
            participants[record.participant] = data
        }
        if let problem = problems.first { throw WorkspaceError.ledgerInconsistent(problem) }
        consented = participants
        // The measurement runs are named without reading their records.
        let measurementRuns = try workspace.forEachCurrentRecord(prefix: "measurements/", among: runs, limit: 0) { _ in }
        var materials = [StageMaterial(protocolVersion)]
        materials += consentMaterials + measurementVersions.map(StageMaterial.init)
        materials += (consentRuns + measurementRuns).map { StageMaterial(name: "records of run \($0.runID) (\($0.stage), \($0.recordCount))", sha256: $0.recordRoot.hex) }
        self.materials = materials
    }

    /// Calls `body` for every consented participant, in the byte order of their ids, with their
    /// current measurement records in id order; only one participant's records are held at a time.
    public func forEachParticipant(_ body: (ParticipantData) throws -> Void) throws {
        let order = consented.keys.sorted(by: ContractInputs.precedes)
        var next = 0
        var current: ParticipantData?
        func flush() throws {
            if let done = current { try body(done) }
            current = nil
        }
        _ = try workspace.forEachCurrentRecord(prefix: "measurements/", among: runs, byParticipant: true) { record in
            if current?.participant != record.participant {
                try flush()
                while next < order.count, ContractInputs.precedes(order[next], record.participant) {
                    try body(consented[order[next]]!)
                    next += 1
                }
                guard next < order.count, order[next] == record.participant else { return }
                current = consented[order[next]]
                next += 1
            }
            guard let visit = record.visit, let item = record.item, let value = record.value,
                  let observedAt = record.observedAt.flatMap(TrialTime.init) else { return }
            current!.observations.append(
                Observation(id: record.id, leafHash: record.leafHash.hex, site: record.site, visit: visit, item: item, value: value, observedAt: observedAt))
        }
        try flush()
        while next < order.count {
            try body(consented[order[next]]!)
            next += 1
        }
    }
}

extension ContractInputs {
    /// All the inputs as anchored now, in memory (for tests and small trials; contract runs stream).
    public static func load(from workspace: Workspace) throws -> (ContractInputs, [StageMaterial]) {
        let anchored = try AnchoredInputs(workspace: workspace)
        var participants: [ParticipantData] = []
        try anchored.forEachParticipant { participants.append($0) }
        return (ContractInputs(trialProtocol: anchored.trialProtocol, participants: participants), anchored.materials)
    }

    /// Participants' order everywhere: byte order of their UTF-8 ids (as SQLite sorts them).
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
