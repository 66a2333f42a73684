import ArgumentParser
import Attestation
import Audit
import Foundation
import MerkleLog
import Workspace

struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print RFC 9162 inclusion and consistency proofs, and self-contained record proofs.",
        subcommands: [Entry.self, Consistency.self, Record.self])

    struct Entry: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "entry",
            abstract: "Prove that entry I is in the tree of size N (default: the latest checkpoint).",
            discussion: """
                --json prints {"index":I,"leaf_hash":"hex","proof":["hex",…],"root":"hex","size":N} \
                (keys in RFC 8785 order). Any RFC 6962 verifier checks it against the root of a \
                signed checkpoint of that size.
                """)

        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The entry index.", valueName: "index")) var index: UInt64
        @Option(help: ArgumentHelp("The tree size (at most the ledger's).", valueName: "n")) var size: UInt64?
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let workspace = try options.openReadOnly()
            let result = try workspace.read { try $0.inclusionProof(index: index, size: size) }
            if json {
                print(CanonicalJSON.string([
                    "index": .integer(Int64(index)), "size": .integer(Int64(result.size)),
                    "leaf_hash": .string(result.leafHash.hex), "proof": .array(result.proof.map { .string($0.hex) }),
                    "root": .string(result.root.hex),
                ]))
            } else {
                print("entry \(index) in the tree of \(result.size) entries")
                print("leaf hash: \(result.leafHash.hex)")
                print("root:      \(result.root.hex)")
                print("proof (\(result.proof.count) hashes, leaf to root):")
                for hash in result.proof { print("  \(hash.hex)") }
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "consistency",
            abstract: "Prove that the tree of size M is a prefix of the tree of size N.",
            discussion: """
                --json prints {"from":M,"new_root":"hex","old_root":"hex","proof":["hex",…],"to":N} \
                (keys in RFC 8785 order).
                """)

        @OptionGroup var options: WorkspaceOptions
        @Option(help: ArgumentHelp("The older tree size (1 or more).", valueName: "m")) var from: UInt64
        @Option(help: ArgumentHelp("The newer tree size (default: the latest).", valueName: "n")) var to: UInt64?
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let workspace = try options.openReadOnly()
            let result = try workspace.read { try $0.consistencyProof(from: from, to: to) }
            if json {
                print(CanonicalJSON.string([
                    "from": .integer(Int64(from)), "to": .integer(Int64(result.to)),
                    "old_root": .string(result.oldRoot.hex), "new_root": .string(result.newRoot.hex),
                    "proof": .array(result.proof.map { .string($0.hex) }),
                ]))
            } else {
                print("tree of \(from) entries → tree of \(result.to) entries")
                print("old root: \(result.oldRoot.hex)")
                print("new root: \(result.newRoot.hex)")
                print("proof (\(result.proof.count) hashes):")
                for hash in result.proof { print("  \(hash.hex)") }
            }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "record",
            abstract: "Prove that one record (a measurement, a consent) was anchored.",
            discussion: """
                Prints a self-contained JSON proof (RFC 8785): the record's canonical bytes and \
                salt, its inclusion proof in its stage run's record tree, the signed attestation \
                naming that tree's root with its inclusion proof in the ledger, and the signed \
                checkpoint. `trialchain verify-proof FILE` checks it offline; each inclusion proof \
                can also be checked with any RFC 6962 verifier (see the README).

                Examples:
                  trialchain prove record --participant P-0001 --visit SE.WEEK2 --item IT.SYSBP > proof.json
                  trialchain prove record --id 1234 --size 6
                """)

        @OptionGroup var options: WorkspaceOptions
        @Option(help: ArgumentHelp("The record's id.", valueName: "id")) var id: Int64?
        @Option(help: ArgumentHelp("The participant.", valueName: "id")) var participant: String?
        @Option(help: ArgumentHelp("The visit (StudyEventDef OID).", valueName: "oid")) var visit: String?
        @Option(help: ArgumentHelp("The item (ItemDef OID).", valueName: "oid")) var item: String?
        @Option(help: ArgumentHelp("Prove against the checkpoint of this size (default: the latest).", valueName: "n")) var size: UInt64?
        @Option(help: ArgumentHelp("Write the proof to this file instead of standard output.", valueName: "file")) var out: String?

        func run() throws {
            let workspace = try options.openReadOnly()
            let prover = RecordProver(workspace: workspace)
            let record = try prover.select(id: id, participant: participant, visit: visit, item: item)
            let proof = try prover.prove(record, size: size)
            let text = CanonicalJSON.string(proof.json) + "\n"
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                print("\(out): proof of record \(record.id) (\(record.participant) \(record.visit ?? "") \(record.item ?? "")) against the checkpoint of size \(proof.ledgerSize)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
