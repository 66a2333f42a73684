import ArgumentParser
import Attestation
import MerkleLog
import Workspace

struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print RFC 9162 inclusion and consistency proofs.",
        subcommands: [Entry.self, Consistency.self])

    struct Entry: ParsableCommand {
        static let configuration = CommandConfiguration(
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
            let workspace = try options.open()
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
        static let configuration = CommandConfiguration(
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
            let workspace = try options.open()
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
}
