import ArgumentParser
import Audit
import Witnessing
import Foundation
import Workspace

/// `trialchain`: the command-line front of TrialChain. Each subcommand is a thin shell over the
/// library; all the work happens in the modules it calls.
@main
struct TrialChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trialchain",
        abstract: "Clinical-trial provenance: ingest, anchor in a verifiable ledger, verify.",
        discussion: """
            A workspace holds one trial: an SQLite database with the ledger (an RFC 6962 Merkle log \
            with signed C2SP checkpoints), a content-addressed object store and the signing keys.

            Exit codes: 0 success; 1 verification failed (something was altered); 2 bad usage or \
            input (the message says which file, entry or option).

            Install (from a clone): swift run -c release trialchain install

            Quick start:
              trialchain run Pipelines/demo.yml

            or stage by stage:
              trialchain init --trial DEMO-2026-001
              trialchain ingest protocol SampleData/protocol.xml
              trialchain ingest consents SampleData/consents
              trialchain ingest measurements SampleData/measurements
              trialchain rejects
              trialchain contract run Pipelines/contracts/participant-payments.yml
              trialchain report payouts --format html --out payouts.html
              trialchain verify

            Auditing:
              trialchain export --bundle trial.zip
              trialchain verify --bundle trial.zip --checkpoint held.checkpoint --reexecute
              trialchain prove record --participant P-0001 --visit SE.WEEK2 --item IT.SYSBP > proof.json
              trialchain verify-proof proof.json --ledger-key VKEY --operator-key VKEY
            """,
        version: TrialChainVersion.current,
        subcommands: [
            InitCommand.self, AnchorCommand.self, CheckpointCommand.self, KeysCommand.self,
            LogCommand.self, ProveCommand.self, VerifyCommand.self, IngestCommand.self, RejectsCommand.self, RunCommand.self,
            ContractCommand.self, ReportCommand.self, VerifyProofCommand.self, TrustCommand.self, SignCommand.self, ExportCommand.self, EraseCommand.self, WitnessCommand.self,
            InstallCommand.self, PublishCommand.self, ServeCommand.self, TokenCommand.self, MonitorCommand.self, SubmitCommand.self,
        ]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            // The ledger grew: its new checkpoint goes to the witnesses (their refusals are reported,
            // the command's work stays done).
            if let writer = command as? WritesLedger {
                _ = try? await WitnessPush.push(writer.options, quietWhenNone: true)
            }
        } catch let failure as IntegrityFailure {
            Terminal.error("verification failed: \(failure)")
            Foundation.exit(1)
        } catch let failure as ProofFailure {
            Terminal.error("verification failed: \(failure)")
            Foundation.exit(1)
        } catch let failure as WitnessError {
            Terminal.error("\(failure)")
            Foundation.exit(failure.isIntegrityFailure ? 1 : 2)
        } catch let code as ExitCode {
            // The command said what happened already.
            Foundation.exit(code.rawValue)
        } catch let failure as MonitorError {
            Terminal.error("\(failure)")
            Foundation.exit(failure.isIntegrityFailure ? 1 : 2)
        } catch let failure as BundleError {
            Terminal.error("\(failure)")
            if case .altered = failure { Foundation.exit(1) }
            Foundation.exit(2)
        } catch let error as CustomStringConvertible & Error where isOurs(error) {
            Terminal.error("\(error)")
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            Terminal.error(fullMessage(for: error))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    /// Errors from TrialChain's modules (as opposed to argument parsing or help requests).
    private static func isOurs(_ error: Error) -> Bool {
        let module = String(reflecting: type(of: error)).split(separator: ".").first ?? ""
        return ["Workspace", "MerkleLog", "SignedNote", "Attestation", "Ingest", "Contracts", "Reports", "Audit", "Pipeline", "LedgerServer", "Witnessing", "TrialChainCLI"].contains(String(module))
    }
}
