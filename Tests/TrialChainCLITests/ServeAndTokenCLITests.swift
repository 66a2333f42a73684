import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Issue 15 from the command line: tokens as a coordinator manages them, and `serve`'s shutdown.
@Suite("trialchain token and serve", .serialized)
struct ServeAndTokenCLITests {
    @Test func aTokenIsPrintedOnceListedByNameAndRevokedAsAnAnchoredChange() throws {
        let sandbox = CLISandbox()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        let created = try sandbox.run(["token", "create", "--name", "CRO monitor", "--role", "monitor"])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .newlines)
        #expect(token.hasPrefix("tct_") && token.count == 47 && !token.contains("\n"))

        let listed = try sandbox.run(["token", "list"])
        #expect(listed.stdout.contains("CRO monitor\tmonitor") && !listed.stdout.contains(token))

        let badRole = try sandbox.run(["token", "create", "--name", "x", "--role", "sponsor"])
        #expect(badRole.status == 2 && badRole.stderr.contains("expected monitor, auditor or site:<id>"))
        let duplicate = try sandbox.run(["token", "create", "--name", "CRO monitor", "--role", "auditor"])
        #expect(duplicate.status == 2 && duplicate.stderr.contains("revoke the old one first"), "\(duplicate.stderr)")
        let unknown = try sandbox.run(["token", "revoke", "nobody"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no token named \"nobody\""), "\(unknown.stderr)")

        #expect(try sandbox.run(["token", "revoke", "CRO monitor"]).status == 0)
        #expect(try sandbox.run(["token", "list"]).stdout == "no tokens in force\n")
        // Both changes are anchored entries, and the workspace verifies.
        let log = try sandbox.run(["log"])
        #expect(log.stdout.components(separatedBy: "access-tokens.json").count - 1 == 2, "\(log.stdout)")
        let verified = try sandbox.run(["verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
    }

    @Test func serveStopsCleanlyOnSIGTERM() throws {
        let sandbox = CLISandbox()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        let (process, said) = try sandbox.startServer(["serve", "--port", "0"])
        // Port 0: the line names the port the system chose.
        #expect(said.contains("serving trialchain.local/trials/DEMO-2026-001 on http://127.0.0.1:") && !said.contains(":0/"), "\(said)")
        kill(process.processIdentifier, SIGTERM)
        let stop = Date().addingTimeInterval(10)
        while process.isRunning && Date() < stop { usleep(10_000) }
        let stopped = !process.isRunning
        if !stopped { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(stopped && process.terminationStatus == 0)
    }

    @Test func anAuditorServesABundleReadOnlyWithASessionToken() async throws {
        let sandbox = CLISandbox()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        sandbox.file("a.txt", "one\n")
        #expect(try sandbox.run(["anchor", "a.txt"]).status == 0)
        let bundle = sandbox.directory.appendingPathComponent("trial.zip").path
        #expect(try sandbox.run(["export", "--bundle", bundle]).status == 0)
        let refused = try sandbox.run(["serve", "--bundle", bundle, "--accept-submissions"], withWorkspace: false)
        #expect(refused.status == 2 && refused.stderr.contains("read-only"))
        let (server, said) = try sandbox.startServer(["serve", "--bundle", bundle, "--port", "0"], withWorkspace: false)
        defer { server.terminate(); server.waitUntilExit() }
        guard let url = said.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map({ String(said[$0]) }),
              let token = said.range(of: #"tcs_[0-9a-f]{48}"#, options: .regularExpression).map({ String(said[$0]) }) else {
            Issue.record("serve --bundle did not start: \(said)")
            return
        }
        func get(_ path: String, _ bearer: String?) async throws -> (Int, String) {
            var request = URLRequest(url: URL(string: url + path)!)
            if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let overview = try await get("/v1/overview", token)
        #expect(overview.0 == 200 && overview.1.contains("\"trial\":\"DEMO-2026-001\""), "\(overview)")
        #expect(try await get("/v1/overview", nil).0 == 401)
        #expect(try await get("/v1/overview", "tcs_" + String(repeating: "0", count: 48)).0 == 401)
        #expect(try await get("/explorer/", nil).0 == 200)
    }
}
