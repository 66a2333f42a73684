import ArgumentParser
import Foundation
import SignedNote
import Witnessing

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Follow a published ledger: check each new checkpoint and every new entry, and say what happened.",
        discussion: """
            Reads the log at URL (`trialchain serve`, or a static server of `trialchain publish \
            --entries`): checks the checkpoint's signature with the ledger key, downloads every new \
            entry bundle, recomputes the tree from the size it saw last (so the signed root proves \
            the log only grew), and checks each entry's DSSE signature against the trust policy the \
            log's own entries put in force. Prints the new entries by kind and signer, trust-policy \
            changes and erasures; remembers what it checked in --state (flushed to disk).

            Exit codes: 0 the log grew consistently (or not at all); 1 a split view (rollback, fork, \
            entries that do not hash to the signed root) or an entry not signed by a signer the \
            trust policy allows; 2 the log could not be read (down, no token: entries need a \
            monitor or auditor token).

            First run: give the ledger and operator keys (`trialchain keys show ledger` and \
            `operator` on the operator's side); later runs take them from the state file.

            Example:
              trialchain monitor https://trials.example.org/demo --state monitor.json \\
                --ledger-key "$LEDGER_VKEY" --operator-key "$OPERATOR_VKEY" --token-file monitor.token
            """)

    @Argument(help: ArgumentHelp("The log's URL prefix (where `checkpoint` and `tile/` are).", valueName: "url")) var url: String
    @Option(help: ArgumentHelp("What this monitor saw last (created on the first run).", valueName: "file")) var state: String
    @Option(help: ArgumentHelp("The ledger's verifier key (first run), or a file holding it.", valueName: "vkey")) var ledgerKey: String?
    @Option(help: ArgumentHelp("The operator's verifier key (first run), or a file holding it.", valueName: "vkey")) var operatorKey: String?
    @Option(help: ArgumentHelp("A file holding a monitor or auditor bearer token (never on the command line).", valueName: "file")) var tokenFile: String?
    @Flag(help: "Print every new entry, not only the notable ones.") var entries = false

    func run() async throws {
        let stateURL = URL(fileURLWithPath: state)
        let given = (try ledgerKey.map { try WitnessCommand.verifierKey($0, option: "--ledger-key") },
                     try operatorKey.map { try WitnessCommand.verifierKey($0, option: "--operator-key") })
        let current: MonitorState
        if let saved = try MonitorState.load(stateURL) {
            if let ledger = given.0, ledger != saved.ledgerKey { throw UsageError("--ledger-key differs from the key in \(state) (\(saved.ledgerKey.handle)); use a new state file for another log") }
            if let op = given.1, op != saved.operatorKey { throw UsageError("--operator-key differs from the key in \(state) (\(saved.operatorKey.handle))") }
            current = saved
        } else {
            guard let ledger = given.0, let op = given.1 else {
                throw UsageError("\(state) does not exist yet: give --ledger-key and --operator-key for the first run")
            }
            current = MonitorState(ledgerKey: ledger, operatorKey: op)
        }
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else { throw UsageError("cannot read the token file \(tokenFile)") }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let monitor = LogMonitor(fetch: LogMonitor.http(prefix: url, token: token))
        let (next, run) = try await monitor.follow(current)
        try next.save(stateURL)
        let origin = current.ledgerKey.name
        if run.size == run.previousSize {
            print("\(origin): size \(run.size), unchanged")
            return
        }
        print("\(origin): size \(run.previousSize) → \(run.size): consistent; \(run.entries.count) new entries, every signer allowed by the trust policy in force")
        var counts: [String: Int] = [:]
        for entry in run.entries { counts["\(entry.kind) by \(entry.signer)", default: 0] += 1 }
        for (what, count) in counts.sorted(by: { $0.key < $1.key }) { print("  \(count) × \(what)") }
        for entry in run.entries where entries || entry.changesTrustPolicy || entry.kind == "erasure" || entry.kind.hasPrefix("signature/") {
            let note = entry.changesTrustPolicy ? "  (a new trust policy is in force from the next entry)" : ""
            print("  entry \(entry.index): \(entry.kind) by \(entry.signer): \(entry.subjects.map(Terminal.escaped).joined(separator: ", "))\(note)")
        }
    }
}
