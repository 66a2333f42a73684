import ArgumentParser
import Attestation
import Audit
import Foundation
import SignedNote

struct VerifyProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check a record proof offline, without the workspace.",
        discussion: """
            Checks, in order: the record's canonical bytes hash to its leaf; the leaf is in the \
            record tree (RFC 6962 inclusion); the attestation is signed by the operator key and \
            attests that tree's root and size for this trial; the attestation is the stated \
            ledger entry (RFC 6962 inclusion); the checkpoint is signed by the ledger key for the \
            ledger's origin and has that root. Give the keys you trust (from `trialchain keys \
            show`, obtained separately) with --ledger-key and --operator-key; otherwise the keys \
            inside the proof are used and the result says so. With --checkpoint, the proof must \
            be against that very checkpoint.

            Exit codes: 0 the proof holds; 1 it does not (the step is named); 2 not a proof.
            """)

    @Argument(help: ArgumentHelp("The proof file ('-' for standard input).", valueName: "file")) var file: String
    @Option(help: ArgumentHelp("The ledger's verifier key you trust.", valueName: "vkey")) var ledgerKey: String?
    @Option(help: ArgumentHelp("The operator's verifier key you trust.", valueName: "vkey")) var operatorKey: String?
    @Option(help: ArgumentHelp("A checkpoint obtained separately.", valueName: "file")) var checkpoint: String?
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
        guard let data else { throw UsageError("\(file): cannot read the proof file") }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch { throw AuditError.malformedProof(field: "(file)", reason: "not JSON: \(error)") }
        let proof = try RecordProof(json: value)
        func key(_ text: String?, _ option: String) throws -> NoteVerifierKey? {
            guard let text else { return nil }
            do { return try NoteVerifierKey(text) } catch { throw UsageError("\(option): not a verifier key: \(error)") }
        }
        let held = try checkpoint.map { path -> String in
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw UsageError("\(path): cannot read the checkpoint")
            }
            return text
        }
        let report = try proof.verify(ledgerKey: try key(ledgerKey, "--ledger-key"), operatorKey: try key(operatorKey, "--operator-key"), checkpoint: held)
        if json {
            print(CanonicalJSON.string([
                "ok": true, "record": report.recordID.map(JSONValue.integer) ?? .null, "content": report.content, "stage": .string(report.stage),
                "entry": .integer(Int64(report.entryIndex)), "checkpointSize": .integer(Int64(report.checkpointSize)),
                "checkpointRoot": .string(report.checkpointRoot.hex), "keysPinned": .bool(report.keysPinned),
            ]))
            return
        }
        print("✓ record \(report.recordID.map(String.init) ?? "(id not bound by its attestation)") is anchored: leaf in its record tree, attested by entry \(report.entryIndex) (stage \(report.stage)), entry in the ledger at the checkpoint of size \(report.checkpointSize) (root \(report.checkpointRoot.hex))")
        print("  content: \(CanonicalJSON.string(report.content))")
        if !report.keysPinned {
            print("  note: the keys were taken from the proof itself; compare them with keys you obtained separately, or pass --ledger-key and --operator-key")
        }
    }
}
