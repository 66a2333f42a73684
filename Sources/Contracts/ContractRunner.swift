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

    /// The artifact bytes a contract gives over some inputs: a pure function.
    public static func evaluate(_ contract: ContractFile, _ inputs: ContractInputs) -> [UInt8] {
        switch contract.terms {
        case let .payouts(terms):
            return CanonicalJSON.encode(ContractOutput.json(PayoutEvaluator(terms: terms).evaluate(inputs), contract: contract))
        case let .adherence(terms):
            return CanonicalJSON.encode(ContractOutput.json(AdherenceEvaluator(terms: terms).evaluate(inputs), contract: contract))
        }
    }

    /// Runs a contract as a stage.
    /// - parameters:
    ///   - stage: its name in a pipeline (default `contract/<name>`).
    ///   - pipeline: the pipeline file running it, for the attestation.
    /// - throws: `ContractError.invalid` (an unknown visit or item, before evaluation),
    ///   `.missingInput`, `StageError`, storage errors.
    public func run(_ contract: ContractFile, stage: String? = nil, pipeline: StageMaterial? = nil) throws -> StageOutcome {
        let (inputs, materials) = try ContractInputs.load(from: workspace)
        try contract.check(against: inputs.trialProtocol)
        let description = StageDescription(
            stage: stage ?? "contract/\(contract.name)", kind: "contract", materials: materials,
            parameters: ["contract": .string(contract.name), "version": .integer(Int64(contract.version)), "type": .string(contract.type)],
            contract: StageMaterial(name: (contract.path as NSString).lastPathComponent, sha256: contract.sha256), pipeline: pipeline, derived: true)
        return try workspace.runStage(description) { writer in
            _ = try writer.storeDocument(bytes: contract.bytes)
            return [StageArtifact(name: contract.artifactName, bytes: ContractRunner.evaluate(contract, inputs))]
        }
    }
}
