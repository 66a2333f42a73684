import Attestation
import Ingest
import Workspace

extension ContractInputs {
    /// The inputs as anchored in a workspace: the latest protocol, every participant with an
    /// accepted consent (their start, their withdrawal), and the current measurement records.
    /// - returns: the inputs, and the materials a contract run names: every artifact version
    ///   read and the record root of every run whose records were read.
    /// - throws: `ContractError.missingInput` when the protocol or the consents were never ingested.
    public static func load(from workspace: Workspace) throws -> (ContractInputs, [StageMaterial]) {
        try load(from: workspace, asOf: nil)
    }

    /// The inputs exactly as a past contract run read them, from the materials its attestation
    /// names (the protocol version and the record runs): what re-execution evaluates.
    /// - throws: `ContractError.missingInput` when the materials do not name them.
    public static func load(from workspace: Workspace, asOf materials: [StageMaterial]) throws -> ContractInputs {
        try load(from: workspace, asOf: Optional(materials)).0
    }

    static func load(from workspace: Workspace, asOf past: [StageMaterial]?) throws -> (ContractInputs, [StageMaterial]) {
        var runs: Set<Int64>?
        let model: TrialProtocol, protocolVersion: ArtifactVersion
        if let past {
            guard let material = past.first(where: { $0.name.hasPrefix("protocol@v") }), let number = Int(material.name.dropFirst("protocol@v".count)) else {
                throw ContractError.missingInput("the run's materials name no protocol version")
            }
            protocolVersion = ArtifactVersion(name: "protocol", version: number, sha256: material.sha256)
            guard let read = TrialProtocol(json: try JSONValue.parse(try workspace.artifactBytes(protocolVersion))) else {
                throw ContractError.missingInput("the protocol artifact v\(number) cannot be read")
            }
            model = read
            runs = Set(past.compactMap { material -> Int64? in
                guard material.name.hasPrefix("records of run ") else { return nil }
                return Int64(material.name.dropFirst("records of run ".count).prefix { $0.isNumber })
            })
        } else {
            (model, protocolVersion) = try Ingestor(workspace: workspace).currentProtocol()
        }
        let consentVersions = try workspace.latestArtifacts(prefix: "consents/")
        guard !consentVersions.isEmpty else {
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
        let measurementRuns = try workspace.forEachCurrentRecord(prefix: "measurements/", among: runs) { record in
            guard participants[record.participant] != nil, let visit = record.visit, let item = record.item, let value = record.value,
                  let observedAt = record.observedAt.flatMap(TrialTime.init) else { return }
            participants[record.participant]!.observations.append(
                Observation(id: record.id, leafHash: record.leafHash.hex, site: record.site, visit: visit, item: item, value: value, observedAt: observedAt))
        }
        var materials = [StageMaterial(name: "protocol@v\(protocolVersion.version)", sha256: protocolVersion.sha256)]
        materials += (consentVersions + measurementVersions).map { StageMaterial(name: "\($0.name)@v\($0.version)", sha256: $0.sha256) }
        materials += (consentRuns + measurementRuns).map { StageMaterial(name: "records of run \($0.runID) (\($0.stage), \($0.recordCount))", sha256: $0.recordRoot.hex) }
        return (ContractInputs(trialProtocol: model, participants: Array(participants.values)), materials)
    }
}
