import ArgumentParser
import Foundation
import LedgerServer
import SignedNote
import Witnessing

extension WitnessCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "serve",
            abstract: "Run a witness: the c2sp.org/tlog-witness API (POST /add-checkpoint) over HTTP.",
            discussion: """
                Cosigns a checkpoint of a log it follows (--log) when it is signed by that log's key \
                and consistent with the last checkpoint it cosigned for that log (RFC 6962 \
                consistency proof). Answers 404 (origin not followed), 403 (not signed by the log's \
                key), 400 (malformed, or old size above the checkpoint's), 409 with the size it holds \
                (Content-Type text/x.tlog.size), 422 (a proof that does not hold: a fork), 200 with \
                its cosignature line. The state file is replaced and flushed to disk before each \
                answer, and locked for the process's life: one state file, one witness process.

                Listens on 127.0.0.1:8081 unless told otherwise; one access-log line per request on \
                standard error; SIGINT or SIGTERM finishes the requests in flight, then exits.

                Example:
                  trialchain witness serve --key witness.key --state witness-state.json \
                    --log "$(trialchain keys show ledger)" --listen 0.0.0.0:8081
                """)

        @Option(help: ArgumentHelp("The witness's private key (from `keys generate --witness`).", valueName: "file")) var key: String
        @Option(help: ArgumentHelp("The witness state file (created when missing; never share it between two witnesses).", valueName: "file")) var state: String
        @Option(help: ArgumentHelp("A log to follow: its verifier key, or a file holding it (repeatable).", valueName: "vkey")) var log: [String] = []
        @Option(help: ArgumentHelp("Address and port to listen on (port 0: one the system chooses, printed).", valueName: "host:port")) var listen = "127.0.0.1:8081"

        func run() async throws {
            let witness = try PrivateKeyFile.signer(key, type: .cosignatureV1)
            let logs = try log.map { try WitnessCommand.verifierKey($0, option: "--log") }
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port),
                  colon > listen.startIndex else {
                throw UsageError("--listen \(listen): expected host:port, such as 127.0.0.1:8081")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let service = try WitnessService(witness: witness, logs: logs, stateURL: URL(fileURLWithPath: state))
            let server = WitnessServer(service: service) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let (name, origins) = (witness.name, Set(logs.map(\.name)).sorted().joined(separator: ", "))
            try await server.run(hostname: host, port: port) { bound in
                FileHandle.standardError.write(Data("witness \(name) following \(origins) on http://\(host):\(bound)/add-checkpoint (Ctrl-C stops)\n".utf8))
            }
        }
    }
}

extension WitnessCommand {
    /// A verifier key given on the command line, or a file holding one.
    static func verifierKey(_ text: String, option: String) throws -> NoteVerifierKey {
        var value = text
        if !text.contains("+"), let data = FileManager.default.contents(atPath: text) {
            value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        do { return try NoteVerifierKey(value) } catch { throw UsageError("\(option) \(text): not a verifier key (name+hex id+base64 key) nor a file holding one: \(error)") }
    }
}
