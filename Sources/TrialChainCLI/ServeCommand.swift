import ArgumentParser
import Audit
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

            With --bundle FILE, an auditor serves an exported bundle read-only (checked against \
            its manifest first; the explorer at /explorer works offline); a session token for \
            this process, with the auditor role, is printed.

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

    @Option(help: ArgumentHelp("Serve this bundle (from `trialchain export`) read-only instead of a workspace, with a session token for this process (printed).", valueName: "file"))
    var bundle: String?

    func run() async throws {
        var workspace: Workspace
        var session: String?
        var unpacked: URL?
        defer { if let unpacked { try? FileManager.default.removeItem(at: unpacked) } }
        if let bundle {
            guard !acceptSubmissions else { throw UsageError("a bundle is served read-only: leave out --accept-submissions") }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-serve-bundle-\(UUID().uuidString)")
            unpacked = directory
            workspace = try TrialBundle.open(URL(fileURLWithPath: bundle), into: directory)
            workspace = try Workspace.open(at: directory, readOnly: true)
            var random = SystemRandomNumberGenerator()
            session = "tcs_" + (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
            FileHandle.standardError.write(Data("bundle \(bundle): every file matches its manifest; serving it read-only\nsession token (auditor, this process only): \(session!)\n".utf8))
        } else {
            workspace = acceptSubmissions ? try options.open() : try options.openReadOnly()
        }
        let server = LedgerServer(workspace: workspace, accessLog: { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }, submissionBytes: acceptSubmissions ? maxSubmissionBytes : nil, sessionToken: session)
        let (origin, hostname) = (workspace.origin, hostname)
        try await server.run(hostname: hostname, port: port) { bound in
            FileHandle.standardError.write(Data("serving \(origin) on http://\(hostname):\(bound)/ (Ctrl-C stops)\n".utf8))
        }
    }
}
