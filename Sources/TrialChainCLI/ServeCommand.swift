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

            With --accept-submissions, POST /v1/submissions takes a site's signed submission \
            (multipart/form-data: an `envelope` part from `trialchain submit`, one `file` part per \
            file it names, an optional `reason`) from a site:<id> token of the same site, ingests \
            it as a measurement stage (one at a time) and answers with the outcome and the rejects \
            as JSON; `trialchain submit --server URL --token-file F` is the client.

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

    @Flag(help: "Accept site-signed submissions (POST /v1/submissions with a site:<id> token); opens the workspace for writing.")
    var acceptSubmissions = false

    @Option(help: ArgumentHelp("With --accept-submissions: the largest upload, in bytes.", valueName: "n"))
    var maxSubmissionBytes = 256 * 1024 * 1024

    func run() async throws {
        let workspace = acceptSubmissions ? try options.open() : try options.openReadOnly()
        let server = LedgerServer(workspace: workspace, accessLog: { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }, submissionBytes: acceptSubmissions ? maxSubmissionBytes : nil)
        let (origin, hostname) = (workspace.origin, hostname)
        try await server.run(hostname: hostname, port: port) { bound in
            FileHandle.standardError.write(Data("serving \(origin) on http://\(hostname):\(bound)/ (Ctrl-C stops)\n".utf8))
        }
    }
}
