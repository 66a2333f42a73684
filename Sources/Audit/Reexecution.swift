import Attestation
import Contracts
import Crypto
import Foundation
import Ingest
import MerkleLog
import Reports
import Workspace

/// What re-execution covered.
public struct ReexecutionReport: Equatable, Sendable {
    public var contractRuns = 0
    public var reportRuns = 0
    public var outputs = 0
    /// Runs whose outputs an erasure redacted: they cannot be reproduced, by design.
    public var redactedRuns = 0
    /// Consent index versions derived again from the consent artifacts they index.
    public var consentIndexes = 0
    /// Contract runs made under earlier contract rules (and the report runs rendering their
    /// outputs): this build evaluates other rules, so it cannot reproduce them; named, not failed.
    public var earlierRulesRuns = 0

    public init(contractRuns: Int = 0, reportRuns: Int = 0, outputs: Int = 0, redactedRuns: Int = 0, consentIndexes: Int = 0) {
        self.contractRuns = contractRuns
        self.reportRuns = reportRuns
        self.outputs = outputs
        self.redactedRuns = redactedRuns
        self.consentIndexes = consentIndexes
    }
}

/// Re-runs every contract and report stage from what the workspace holds — the contract file
/// kept in the object store, the protocol version and record runs the attestation names, the
/// contract outputs a report rendered — and compares the outputs with the anchored digests,
/// byte for byte.
public struct Reexecutor {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// One run to reproduce: what its attestation names, and how to recompute its outputs' digests.
    struct Job: Sendable {
        let run: StageRunInfo
        let subjects: [InTotoStatement.Subject]
        let recompute: @Sendable () throws -> [String: String]
    }

    /// - throws: `IntegrityFailure.reexecutionMismatch` or `.reexecutionImpossible` for the first
    ///   run (in ledger order) that does not reproduce.
    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> ReexecutionReport {
        var report = ReexecutionReport()
        let (indexes, redactedIndexes) = try rederiveConsentIndexes()
        report.consentIndexes = indexes
        report.redactedRuns += redactedIndexes
        let runs = try workspace.stageRuns().filter { $0.kind == "contract" || $0.kind == "report" }
        let erased = try workspace.erasedObjects()
        var earlierRulesOutputs: Set<String> = []
        var seenCurrentRules = false
        // First, in ledger order, what each run needs (cheap: it reads attestations).
        var jobs: [Job] = []
        for run in runs {
            func impossible(_ reason: String) -> IntegrityFailure { .reexecutionImpossible(run: run.id, stage: run.stage, reason: reason) }
            let statement: InTotoStatement
            do {
                statement = try workspace.expanded(DSSEEnvelope(parsing: try workspace.read { try $0.entry(run.entryIndex) }.entry).statement(), index: run.entryIndex)
            } catch {
                throw impossible("its attestation (entry \(run.entryIndex)) cannot be read: \(error)")
            }
            // Rules never go back within a ledger: only contract runs before the first run under
            // this build's rules may claim earlier ones (a claim after it is re-executed as is).
            let rules = statement.predicate["parameters"]?["rules"]?.integerValue ?? 1
            if run.kind == "contract", rules == Int64(ContractRunner.rulesVersion) { seenCurrentRules = true }
            if run.kind == "contract", rules != Int64(ContractRunner.rulesVersion), !seenCurrentRules {
                report.earlierRulesRuns += 1
                earlierRulesOutputs.formUnion(statement.subjects.map(\.sha256))
                continue
            }
            if run.kind == "report", (statement.predicate["materials"]?.arrayValue ?? []).contains(where: { earlierRulesOutputs.contains($0["digest"]?["sha256"]?.stringValue ?? "") }) {
                report.earlierRulesRuns += 1
                continue
            }
            if statement.subjects.contains(where: { erased[$0.sha256] != nil })
                || (statement.predicate["materials"]?.arrayValue ?? []).contains(where: { erased[$0["digest"]?["sha256"]?.stringValue ?? ""] != nil }) {
                report.redactedRuns += 1
                continue
            }
            let materials = (statement.predicate["materials"]?.arrayValue ?? []).compactMap { material -> StageMaterial? in
                guard let name = material["name"]?.stringValue, let digest = material["digest"]?["sha256"]?.stringValue else { return nil }
                return StageMaterial(name: name, sha256: digest)
            }
            if run.kind == "contract" {
                jobs.append(Job(run: run, subjects: statement.subjects, recompute: try contractJob(run, statement, materials)))
                report.contractRuns += 1
            } else {
                jobs.append(Job(run: run, subjects: statement.subjects, recompute: try reportJob(run, statement, materials)))
                report.reportRuns += 1
            }
        }
        // Then the recomputations, as many at once as there are processors: each only reads the
        // workspace, and writes its outputs to digest-only outputs (memory does not grow with
        // the records; spools go to the store's temporary folder).
        let results = Reexecutor.perform(jobs, progress: progress)
        // Last, in ledger order: the first run that does not reproduce is the failure.
        for (job, result) in zip(jobs, results) {
            let outputs = try result.get()
            for subject in job.subjects {
                guard let digest = outputs[subject.name] else {
                    throw IntegrityFailure.reexecutionImpossible(run: job.run.id, stage: job.run.stage, reason: "re-running it gives no \(subject.name)")
                }
                guard digest == subject.sha256 else {
                    throw IntegrityFailure.reexecutionMismatch(run: job.run.id, stage: job.run.stage, artifact: subject.name, anchored: subject.sha256, recomputed: digest)
                }
                report.outputs += 1
            }
        }
        return report
    }

    /// The digest of what `render` writes.
    static func digest(in workspace: Workspace, _ render: (HashingOutput) throws -> Void) throws -> String {
        let output = HashingOutput.digestOnly(spoolingIn: workspace.objects.temporaryFolder)
        try render(output)
        return try output.finish().sha256
    }

    /// A contract run: the stored contract over the inputs its attestation names.
    func contractJob(_ run: StageRunInfo, _ statement: InTotoStatement, _ materials: [StageMaterial]) throws -> @Sendable () throws -> [String: String] {
        func impossible(_ reason: String) -> IntegrityFailure { .reexecutionImpossible(run: run.id, stage: run.stage, reason: reason) }
        guard let name = statement.predicate["contract"]?["name"]?.stringValue,
              let digest = statement.predicate["contract"]?["digest"]?["sha256"]?.stringValue else {
            throw impossible("its attestation names no contract")
        }
        let bytes: [UInt8]
        do { bytes = try workspace.objectBytes(sha256: digest) } catch { throw impossible("the contract \(name) is not in the object store: \(error)") }
        let contract: ContractFile
        do {
            contract = try ContractFile(text: String(decoding: bytes, as: UTF8.self), file: name)
        } catch {
            throw impossible("the stored contract \(name) no longer reads: \(error)")
        }
        let workspace = self.workspace
        return {
            do {
                let inputs = try AnchoredInputs(workspace: workspace, asOf: materials)
                return [contract.artifactName: try Reexecutor.digest(in: workspace) { try ContractRunner.evaluate(contract, inputs, into: $0) }]
            } catch {
                throw IntegrityFailure.reexecutionImpossible(run: run.id, stage: run.stage, reason: "\(error)")
            }
        }
    }

    /// A report run: every format it rendered, of every contract output it names.
    func reportJob(_ run: StageRunInfo, _ statement: InTotoStatement, _ materials: [StageMaterial]) throws -> @Sendable () throws -> [String: String] {
        func impossible(_ reason: String) -> IntegrityFailure { .reexecutionImpossible(run: run.id, stage: run.stage, reason: reason) }
        let formats = (statement.predicate["parameters"]?["formats"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(ReportFormat.init) }
        var sources: [(ArtifactVersion, ReportContext)] = []
        for material in materials {
            guard let at = material.name.range(of: "@v", options: .backwards), let version = Int(material.name[at.upperBound...]) else {
                throw impossible("material \(material.name) names no artifact version")
            }
            let artifact = ArtifactVersion(name: String(material.name[..<at.lowerBound]), version: version, sha256: material.sha256)
            sources.append((artifact, try ReportContext.of(artifact, in: workspace)))
        }
        let workspace = self.workspace
        let read = sources
        return {
            var outputs: [String: String] = [:]
            for (artifact, context) in read {
                for format in formats {
                    do {
                        outputs["reports/\(artifact.name).\(format.fileExtension)"] = try Reexecutor.digest(in: workspace) {
                            try ReportRunner.render(.stored(artifact, in: workspace), context: context, format: format, into: $0)
                        }
                    } catch {
                        throw IntegrityFailure.reexecutionImpossible(run: run.id, stage: run.stage, reason: "\(error)")
                    }
                }
            }
            return outputs
        }
    }

    /// Runs the jobs on every processor; progress is reported one call at a time.
    static func perform(_ jobs: [Job], progress: ((Int, Int) -> Void)?) -> [Result<[String: String], Error>] {
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var results: [Result<[String: String], Error>?]
            var done = 0
            let progress: ((Int, Int) -> Void)?
            init(_ count: Int, _ progress: ((Int, Int) -> Void)?) {
                results = Array(repeating: nil, count: count)
                self.progress = progress
            }
        }
        let collected = Collected(jobs.count, progress)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let result = Result { try jobs[index].recompute() }
            collected.lock.lock()
            defer { collected.lock.unlock() }
            collected.results[index] = result
            collected.done += 1
            collected.progress?(collected.done, jobs.count)
        }
        return collected.results.map { $0! }
    }

    /// Derives every `consent-index` version again from the consent artifacts current once its
    /// run committed, and compares the digests.
    /// An index an erasure redacted (or whose consent artifacts it redacted) cannot be derived
    /// again, by design: it is counted, not compared.
    /// - returns: how many versions were derived again, and how many were left as redacted.
    func rederiveConsentIndexes() throws -> (derived: Int, redacted: Int) {
        var count = 0, redacted = 0
        let erased = try workspace.erasedObjects()
        for run in try workspace.stageRuns() where run.kind == "ingest/consents" {
            let statement: InTotoStatement
            do {
                statement = try workspace.expanded(DSSEEnvelope(parsing: try workspace.read { try $0.entry(run.entryIndex) }.entry).statement(), index: run.entryIndex)
            } catch {
                throw IntegrityFailure.reexecutionImpossible(run: run.id, stage: run.stage, reason: "its attestation (entry \(run.entryIndex)) cannot be read: \(error)")
            }
            guard let anchored = statement.subjects.first(where: { $0.name == ConsentIndexArtifact.name }) else { continue }
            let versions = try workspace.latestArtifacts(prefix: ConsentIndexArtifact.consentPrefix, throughRun: run.id)
            if erased[anchored.sha256] != nil || versions.contains(where: { erased[$0.sha256] != nil }) {
                redacted += 1
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try ConsentIndexArtifact.derive(from: versions, in: workspace)
            } catch {
                throw IntegrityFailure.reexecutionImpossible(run: run.id, stage: run.stage, reason: "its consent index cannot be derived again: \(error)")
            }
            let digest = Hex.encode(SHA256.hash(data: bytes))
            guard digest == anchored.sha256 else {
                throw IntegrityFailure.reexecutionMismatch(run: run.id, stage: run.stage, artifact: anchored.name, anchored: anchored.sha256, recomputed: digest)
            }
            count += 1
        }
        return (count, redacted)
    }
}
