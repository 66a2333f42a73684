import ArgumentParser
import Foundation
import LedgerServer
import Workspace

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger's tlog-tiles read API over HTTP, straight from the workspace.",
        discussion: """
            GET /checkpoint (the latest signed checkpoint with its cosignatures; cached \
            \(LedgerServer.checkpointMaxAge) s) and GET /tile/<L>/<N>[.p/<W>] (hashes; full tiles \
            cached as immutable) are public. GET /tile/entries/<N>[.p/<W>] reveals pseudonymous \
            participant ids: it needs `Authorization: Bearer <token>` of a monitor or auditor \
            token (`trialchain token create`); 401 without a token in force, 403 for another role.

            Listens on 127.0.0.1 unless told otherwise. For TLS, put it behind a reverse proxy \
            (see the README). One access-log line per request goes to standard error; SIGINT or \
            SIGTERM finishes the requests in flight, then exits.

            Example: trialchain serve --port 8080
            """)

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "The address to listen on (0.0.0.0: every interface).")
    var hostname = "127.0.0.1"

    @Option(help: "The port to listen on (0: one the system chooses, printed when listening).")
    var port = 8080

    func run() async throws {
        let workspace = try options.openReadOnly()
        let server = LedgerServer(workspace: workspace) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let (origin, hostname) = (workspace.origin, hostname)
        try await server.run(hostname: hostname, port: port) { bound in
            FileHandle.standardError.write(Data("serving \(origin) on http://\(hostname):\(bound)/ (Ctrl-C stops)\n".utf8))
        }
    }
}
