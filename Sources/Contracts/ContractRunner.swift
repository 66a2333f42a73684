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
        switch contract.terms {
        case let .payouts(terms):
            return CanonicalJSON.encode(ContractOutput.json(try PayoutEvaluator(terms: terms).evaluate(inputs), contract: contract))
        case let .adherence(terms):
            return CanonicalJSON.encode(ContractOutput.json(AdherenceEvaluator(terms: terms).evaluate(inputs), contract: contract))
        }
    }

    /// The artifact bytes over the anchored inputs, streamed participant by participant: the same
    /// bytes as `evaluate(_:_:)` over the same inputs loaded whole.
    public static func evaluate(_ contract: ContractFile, _ inputs: AnchoredInputs) throws -> [UInt8] {
        switch contract.terms {
        case let .payouts(terms):
            return CanonicalJSON.encode(ContractOutput.json(try PayoutEvaluator(terms: terms).evaluate(inputs), contract: contract))
        case let .adherence(terms):
            return CanonicalJSON.encode(ContractOutput.json(try AdherenceEvaluator(terms: terms).evaluate(inputs), contract: contract))
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
        // Evaluated before the write transaction (reads stream the records); an unchanged stage
        // is still recognised inside `runStage` and appends nothing.
        let output = try ContractRunner.evaluate(contract, inputs)
        return try workspace.runStage(description) { writer in
            _ = try writer.storeDocument(bytes: contract.bytes)
            return [StageArtifact(name: contract.artifactName, bytes: output)]
        }
    }
}
