import Attestation
import Foundation
import Ingest
import Workspace

/// Runs contracts as stages: checks the contract against the protocol, evaluates it over the
/// anchored inputs and commits its artifact with an attestation naming the contract's digest and
/// every input's digest.
public struct ContractRunner {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// The version of the contract rules this build evaluates (the README's "exactly" rules),
    /// recorded in every contract stage's parameters: a contract run under other rules is not
    /// "unchanged", and re-execution reproduces only runs made under these rules.
    /// 1: until issue 13; 2: withdrawal, calendar windows, "first", exact mean PDC, limits.
    public static let rulesVersion = 2

    /// The artifact bytes a contract gives over some inputs: a pure function.
    /// - throws: `ContractError.overflow` when a total would not fit in 64 bits.
    public static func evaluate(_ contract: ContractFile, _ inputs: ContractInputs) throws -> [UInt8] {
        let output = HashingOutput()
        try write(contract, inputs.trialProtocol, { body in try inputs.participants.forEach(body) }, into: output)
        return output.bytes
    }

    /// The artifact bytes over the anchored inputs, in memory (tests, small trials): the same bytes
    /// as `evaluate(_:_:)` over the same inputs loaded whole.
    public static func evaluate(_ contract: ContractFile, _ inputs: AnchoredInputs) throws -> [UInt8] {
        let output = HashingOutput()
        try evaluate(contract, inputs, into: output)
        return output.bytes
    }

    /// Writes the artifact to `output` participant by participant as the workspace streams them:
    /// each participant's entry is written once evaluated and not kept, so memory does not grow
    /// with the records. Payouts write straight through (their totals sort after `participants`);
    /// adherence spools the participants (`output.spool()`), since its pooled figures sort before.
    /// - throws: `ContractError.overflow`, storage errors.
    public static func evaluate(_ contract: ContractFile, _ inputs: AnchoredInputs, into output: HashingOutput) throws {
        try write(contract, inputs.trialProtocol, inputs.forEachParticipant, into: output)
    }

    static func write(_ contract: ContractFile, _ model: TrialProtocol,
                      _ participants: ((ParticipantData) throws -> Void) throws -> Void, into output: HashingOutput) throws {
        let key = ContractOutput.participantsKey
        switch contract.terms {
        case let .payouts(terms):
            let evaluator = PayoutEvaluator(terms: terms)
            var totals = PayoutTotals(terms: terms)
            output.write(CanonicalJSON.objectHead(ContractOutput.payoutsHead(contract, currency: terms.currency), arrayKey: key))
            var first = true
            try participants { data in
                let participant = evaluator.evaluate(data, model)
                try totals.add(participant)
                if !first { output.write(",") }
                first = false
                output.write(CanonicalJSON.encode(ContractOutput.json(participant)))
            }
            output.write(CanonicalJSON.objectTail(ContractOutput.payoutsTail(sites: totals.siteTotals, totals: totals.currencyTotals,
                                                                             taxThreshold: terms.taxThreshold), arrayKey: key))
        case let .adherence(terms):
            let evaluator = AdherenceEvaluator(terms: terms)
            var groups = AdherenceGroups(terms: terms, model: model)
            let spool = try output.spool()
            var first = true
            try participants { data in
                let participant = evaluator.evaluate(data, model)
                groups.add(participant)
                if !first { spool.write(",") }
                first = false
                spool.write(CanonicalJSON.encode(ContractOutput.json(participant)))
            }
            output.write(CanonicalJSON.objectHead(ContractOutput.adherenceHead(contract, arms: groups.armGroups, overall: groups.overall), arrayKey: key))
            try output.write(contentsOf: spool)
            output.write(CanonicalJSON.objectTail(ContractOutput.adherenceTail(sites: groups.siteGroups, thresholdBasisPoints: terms.thresholdBasisPoints),
                                                  arrayKey: key))
        }
    }

    /// Runs a contract as a stage.
    /// - parameters:
    ///   - stage: its name in a pipeline (default `contract/<name>`).
    ///   - pipeline: the pipeline file running it, for the attestation.
    /// - throws: `ContractError.invalid` (an unknown visit or item, before evaluation),
    ///   `.missingInput`, `StageError`, storage errors.
    public func run(_ contract: ContractFile, stage: String? = nil, pipeline: StageMaterial? = nil) throws -> StageOutcome {
        let inputs = try AnchoredInputs(workspace: workspace)
        try contract.check(against: inputs.trialProtocol)
        let description = StageDescription(
            stage: stage ?? "contract/\(contract.name)", kind: "contract", materials: inputs.materials,
            parameters: ["contract": .string(contract.name), "version": .integer(Int64(contract.version)), "type": .string(contract.type),
                         "rules": .integer(Int64(ContractRunner.rulesVersion))],
            contract: StageMaterial(name: (contract.path as NSString).lastPathComponent, sha256: contract.sha256), pipeline: pipeline, derived: true)
        // Evaluated before the write transaction (reads stream the records, the output goes to a
        // temporary file of the store); an unchanged stage is still recognised inside `runStage`
        // and appends nothing (the file is then removed).
        let output = try workspace.objects.newTemporaryOutput()
        try ContractRunner.evaluate(contract, inputs, into: output)
        return try workspace.runStage(description) { writer in
            _ = try writer.storeDocument(bytes: contract.bytes)
            return [StageArtifact(name: contract.artifactName, file: output)]
        }
    }
}
