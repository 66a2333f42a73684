import ArgumentParser
import Attestation
import Audit
import Contracts
import Foundation
import SignedNote
import Witnessing
import Workspace

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the ledger from its entries and check everything stored against it.",
        discussion: """
            Checks, in order: every entry's leaf hash and attestation signature (operator key); \
            every stored tile against the recomputed tree; every checkpoint's signature (ledger \
            key), origin and root; consistency between consecutive checkpoints; every stage run's \
            records against its attested record tree and its artifacts against their digests; every \
            table, view and file of the workspace against what the signed entries imply (see the \
            README's Auditing section); and, with \
            --checkpoint FILE, that the ledger extends a checkpoint kept elsewhere; with \
            --bundle FILE, all of it on an exported bundle, unpacked in a fresh directory; with \
            --reexecute, every contract and report stage re-run from what the workspace holds \
            (the stored contract file, the protocol version and record runs its attestation \
            names) and compared byte for byte with what it anchored. Stops at the first failure, \
            names it (entry, tile, checkpoint, stage run, record, file) and exits 1.
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(help: ArgumentHelp("A signed checkpoint kept outside the workspace.", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Verify this bundle (from `trialchain export`) instead of a workspace.", valueName: "file"))
    var bundle: String?

    @Option(help: ArgumentHelp("Check signers against this trust policy instead of the workspace's.", valueName: "file"))
    var trustPolicy: String?

    @Option(name: .customLong("witness"), help: ArgumentHelp("Require a valid cosignature of the latest checkpoint by this witness key (repeatable).", valueName: "vkey"))
    var witnesses: [String] = []

    @Option(name: .customLong("witness-policy"), help: ArgumentHelp(
        "Require the witness quorum of this policy file (witness network format: witness/group/quorum lines) on the latest checkpoint.",
        valueName: "file"))
    var witnessPolicy: String?

    @Option(name: .customLong("max-bundle-bytes"), help: ArgumentHelp("With --bundle: unpack at most this many bytes (default 16 GiB).", valueName: "n"))
    var maxBundleBytes: Int64 = TrialBundle.defaultMaximumTotalBytes

    @Flag(help: "Re-run every contract and report stage and compare its outputs byte for byte.")
    var reexecute = false

    @Flag(help: "Print a JSON report.")
    var json = false

    func run() throws {
        var external: String?
        if let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint) else {
                throw UsageError("cannot read checkpoint file \(checkpoint)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw IntegrityFailure.externalCheckpoint(reason: "\(checkpoint) is not UTF-8 text")
            }
            external = text
        }
        var unpacked: URL?
        defer { if let unpacked { try? FileManager.default.removeItem(at: unpacked) } }
        let workspace: Workspace
        if let bundle {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-bundle-\(UUID().uuidString)")
            unpacked = directory
            workspace = try TrialBundle.open(URL(fileURLWithPath: bundle), into: directory, maximumTotalBytes: maxBundleBytes)
            if !json { print("bundle \(bundle): every file matches its manifest") }
        } else {
            workspace = try options.openReadOnly()
        }
        let policy = try trustPolicy.map { path -> TrustPolicy in
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read trust policy \(path)") }
            return try TrustPolicy(bytes: Array(data), file: path)
        }
        let quorumPolicy = try witnessPolicy.map { path -> WitnessPolicy in
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read witness policy \(path)") }
            do { return try WitnessPolicy(text: String(decoding: data, as: UTF8.self), file: path) } catch { throw UsageError("\(error)") }
        }
        let started = Date()
        let report: LedgerReport
        var quorum: (size: UInt64, cosigned: [String])?
        var reexecution: ReexecutionReport?
        var witnessedSize: UInt64?
        do {
            report = try workspace.verifyLedger(external: external, policy: policy) { done in
                Terminal.progress("verifying: \(done) entries…")
            }
            if !witnesses.isEmpty {
                let keys = try witnesses.map { text -> NoteVerifierKey in
                    do { return try NoteVerifierKey(text) } catch { throw UsageError("--witness \(text): \(error)") }
                }
                witnessedSize = try workspace.checkWitnesses(keys)
            }
            if let quorumPolicy {
                let latest = try workspace.read { try $0.checkpoint() }
                do {
                    quorum = (latest.size, try quorumPolicy.check(try workspace.cosignedCheckpoint(size: latest.size), logKey: workspace.ledgerKey))
                } catch let failure as WitnessPolicyError {
                    throw IntegrityFailure.witness(name: "policy \(witnessPolicy ?? "")", reason: "not met by the latest checkpoint (size \(latest.size)): \(failure)")
                }
            }
            if reexecute {
                reexecution = try Reexecutor(workspace: workspace).run { done, total in
                    Terminal.progress("re-executing: stage run \(done) of \(total)…")
                }
            }
            Terminal.endProgress()
        } catch let failure as IntegrityFailure {
            Terminal.endProgress()
            if json {
                print(CanonicalJSON.string(["ok": false, "failure": .string(failure.description)]))
            }
            throw failure
        }
        if json {
            var object: [String: JSONValue] = [
                "ok": true, "entries": .integer(Int64(report.entries)), "checkpoints": .integer(Int64(report.checkpoints)),
                "tiles": .integer(Int64(report.tiles)), "attestations": .integer(Int64(report.attestations)),
                "root": .string(report.root.hex), "origin": .string(workspace.origin),
                "stage_runs": .integer(Int64(report.stages.runs)), "records": .integer(Int64(report.stages.records)),
                "artifacts": .integer(Int64(report.stages.artifacts)), "blobs": .integer(Int64(report.stages.blobs)),
                "erasures": .array(report.stages.erasures.map(JSONValue.string)), "blanked_records": .integer(Int64(report.stages.blankedRecords)),
                "report_files": ["matching": .integer(Int64(report.reports.matching)), "missing": .array(report.reports.missing.map(JSONValue.string)),
                                 "unanchored": .array(report.reports.unanchored.map(JSONValue.string))],
            ]
            if let size = report.externalCheckpointSize { object["external_checkpoint_size"] = .integer(Int64(size)) }
            if let quorum { object["witness_quorum"] = ["size": .integer(Int64(quorum.size)), "cosigned": .array(quorum.cosigned.map(JSONValue.string))] }
            if let reexecution {
                object["reexecuted"] = ["contract_runs": .integer(Int64(reexecution.contractRuns)), "report_runs": .integer(Int64(reexecution.reportRuns)),
                                        "outputs": .integer(Int64(reexecution.outputs)), "consent_indexes": .integer(Int64(reexecution.consentIndexes)),
                                        "redacted_runs": .integer(Int64(reexecution.redactedRuns)),
                                        "earlier_rules_runs": .integer(Int64(reexecution.earlierRulesRuns))]
            }
            print(CanonicalJSON.string(.object(object)))
            return
        }
        print("ledger \(workspace.origin)")
        print("  ✓ \(report.entries) entries: leaf hashes recomputed, \(report.attestations) attestation signatures valid and allowed by the trust policy\(trustPolicy.map { " \($0)" } ?? "")")
        print("  ✓ \(report.tiles) stored tiles match the recomputed tree")
        print("  ✓ \(report.checkpoints) checkpoints: signatures valid, roots match, each consistent with the next")
        if report.stages.runs > 0 {
            print("  ✓ \(report.stages.runs) stage runs: \(report.stages.records) records hash to their attested record trees, \(report.stages.artifacts) artifacts match their digests")
        }
        if !report.stages.erasures.isEmpty {
            print("  ✓ \(report.stages.erasures.count) erasure(s) (\(report.stages.erasures.joined(separator: ", "))): \(report.stages.blankedRecords) records blanked (their leaf hashes still verify), \(report.stages.erasedBlobs) files destroyed or redacted")
        }
        if report.stages.blobs > 0 {
            print("  ✓ \(report.stages.blobs) blobs in the object store (inputs, signed documents, contracts, outputs) match their digests")
        }
        if !report.reports.folderPresent, report.reports.anchored > 0 {
            print("  · \(report.reports.anchored) anchored reports are checked in the object store; there is no reports/ folder to compare (a bundle, or reports written elsewhere)")
        } else if report.reports.matching > 0 || !report.reports.missing.isEmpty {
            print("  ✓ \(report.reports.matching) report files under reports/ equal their anchored versions"
                  + (report.reports.missing.isEmpty ? "" : "; not on disk: \(report.reports.missing.joined(separator: ", "))"))
        }
        if !report.reports.unanchored.isEmpty {
            print("  ! not anchored by any report stage (ignored): \(report.reports.unanchored.map(Terminal.escaped).joined(separator: ", "))")
        }
        if trustPolicy == nil, let policy = report.policyInForce,
           let copy = FileManager.default.contents(atPath: workspace.layout.trustPolicy.path), Array(copy) != policy.canonicalBytes {
            print("  ! trust-policy.json differs from the policy the ledger puts in force (ignored: it is only a readable copy)")
        }
        if let size = report.externalCheckpointSize {
            print("  ✓ the ledger extends the checkpoint you hold (size \(size))")
        }
        if let witnessedSize {
            print("  ✓ the latest checkpoint (size \(witnessedSize)) is cosigned by \(witnesses.count) required witness(es)")
        }
        if let quorum, let witnessPolicy {
            print("  ✓ the latest checkpoint (size \(quorum.size)) meets the witness quorum of \(witnessPolicy): cosigned by \(quorum.cosigned.isEmpty ? "no witness (quorum none)" : quorum.cosigned.joined(separator: ", "))")
        }
        if let reexecution {
            print("  ✓ re-executed \(reexecution.contractRuns) contract runs and \(reexecution.reportRuns) report runs: \(reexecution.outputs) outputs identical byte for byte;"
                  + " derived \(reexecution.consentIndexes) consent index versions again, identical"
                  + (reexecution.redactedRuns > 0 ? "; \(reexecution.redactedRuns) runs not re-run: an erasure redacted their inputs or outputs" : "")
                  + (reexecution.earlierRulesRuns > 0 ? "; \(reexecution.earlierRulesRuns) runs not re-run: made under earlier contract rules than this build's (version \(ContractRunner.rulesVersion))" : ""))
        }
        print("root \(report.root.hex)")
        Terminal.note(String(format: "verified in %.2f s", Date().timeIntervalSince(started)))
    }
}
