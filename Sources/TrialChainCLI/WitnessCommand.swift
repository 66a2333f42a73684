import ArgumentParser
import Attestation
import Audit
import Witnessing
import Foundation
import MerkleLog
import SignedNote
import Workspace

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Witnesses: run one (serve, cosign), or configure the ones this log sends its checkpoints to (add, remove, list, push).",
        discussion: """
            A witness (c2sp.org/tlog-witness) cosigns a log's checkpoint only when it is consistent \
            with the last one it cosigned, so a log cannot show two histories to two parties.

            On the witness's machine:
              trialchain keys generate --name witness.example.org --witness --out witness.key
              trialchain witness serve --key witness.key --state witness-state.json --log LEDGER_VKEY

            On the log's machine (each anchored as a new version of witnesses.json):
              trialchain witness add http://witness.example.org:8081 WITNESS_VKEY
              trialchain witness push     (also runs after every command that writes the ledger)
              trialchain verify --witness-policy policy.txt
            """,
        subcommands: [Serve.self, Add.self, Remove.self, List.self, Push.self, Cosign.self])

    struct Cosign: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cosign",
            abstract: "Add a C2SP tlog-cosignature/v1 to a checkpoint.",
            discussion: """
                Checks that the checkpoint is signed by the log's key, and that it is consistent \
                (RFC 6962 consistency proof) with the last checkpoint this witness cosigned for \
                that log, as kept in its state file; then prints the checkpoint with the \
                cosignature added and updates the state. A checkpoint that goes backwards or forks \
                is refused (exit 1). With a workspace at hand, the proof comes from it and the \
                cosignature is kept there (see `trialchain checkpoint --cosigned`).

                Example:
                  trialchain keys generate --name witness.example.org --witness --out witness.key
                  trialchain checkpoint > cp && trialchain witness cosign cp --key witness.key --state witness.json
                """)

        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The signed checkpoint ('-' for standard input).", valueName: "file")) var checkpoint: String
        @Option(help: ArgumentHelp("The witness's private key (from `keys generate --witness`).", valueName: "file")) var key: String
        @Option(help: ArgumentHelp("The witness state file (created when missing).", valueName: "file")) var state: String
        @Option(help: ArgumentHelp("The log's verifier key (default: the workspace's ledger key).", valueName: "vkey")) var logKey: String?
        @Option(help: ArgumentHelp("A consistency proof (`prove consistency --json`), when there is no workspace.", valueName: "file")) var proof: String?

        func run() throws {
            let text: String
            if checkpoint == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: checkpoint) else { throw UsageError("\(checkpoint): cannot read the checkpoint") }
                text = String(decoding: data, as: UTF8.self)
            }
            let witness = try PrivateKeyFile.signer(key, type: .cosignatureV1)
            let workspace = FileManager.default.fileExists(atPath: WorkspaceLayout(root: options.root).database.path) ? try options.open() : nil
            let log: NoteVerifierKey
            if let logKey {
                do { log = try NoteVerifierKey(logKey) } catch { throw UsageError("--log-key: \(error)") }
            } else if let workspace {
                log = workspace.ledgerKey
            } else {
                throw UsageError("give the log's verifier key with --log-key (no workspace here)")
            }
            let stateURL = URL(fileURLWithPath: state)
            let current = try WitnessState.load(stateURL)
            let timestamp = UInt64(max(0, TrialClock().now.timeIntervalSince1970))
            let (signature, next) = try Witnessing.Witness.cosign(text, logKey: log, witness: witness, state: current, timestamp: timestamp) { from, to in
                if let proof {
                    guard let data = FileManager.default.contents(atPath: proof), let value = try? JSONValue.parse(data),
                          value["from"]?.integerValue == Int64(from), value["to"]?.integerValue == Int64(to),
                          let hashes = value["proof"]?.arrayValue?.compactMap({ $0.stringValue.flatMap(TreeHash.init(hex:)) }) else {
                        throw WitnessError.unusable("\(proof) is not a consistency proof from size \(from) to \(to) (`trialchain prove consistency --from \(from) --to \(to) --json`)")
                    }
                    return hashes
                }
                guard let workspace else { throw WitnessError.unusable("a consistency proof from size \(from) to \(to) is needed: give --proof FILE") }
                return try workspace.read { try $0.consistencyProof(from: from, to: to) }.proof
            }
            try next.save(stateURL)
            let note = try SignedNote(parsing: text)
            if let workspace, let checkpointSize = try? Checkpoint(parsing: note.text).size,
               (try? workspace.read({ try $0.checkpoint(size: checkpointSize) }).note) == text {
                try workspace.addCosignature(signature, size: checkpointSize, witness: witness.verifierKey)
            }
            print(text + signature.line, terminator: "")
        }
    }
}
