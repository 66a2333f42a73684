import Foundation
import Testing

/// Issue 15 from the command line: a site coordinator signs, the operator trusts the site's key
/// for its site and ingests the submission; what a coordinator gets wrong is a clear error.
@Suite("trialchain submit", .serialized)
struct SubmitCLITests {
    /// A workspace with the sample trial's protocol and consents, as an operator starts one.
    func startedTrial() throws -> CLISandbox {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        #expect(try sandbox.run(["ingest", "protocol", "SampleData/protocol.xml"]).status == 0)
        #expect(try sandbox.run(["ingest", "consents", "SampleData/consents"]).status == 0)
        return sandbox
    }

    @Test func aSiteSubmitsTheOperatorIngestsAndVerifyHolds() throws {
        let sandbox = try startedTrial()
        // The site coordinator, without the workspace.
        let key = try sandbox.run(["keys", "generate", "--name", "site-101.coordinator", "--out", "s101.key"], withWorkspace: false)
        let vkey = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createDirectory(at: sandbox.directory.appendingPathComponent("outbox"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sandbox.directory.appendingPathComponent("SampleData/measurements/site-101.csv"),
                                         to: sandbox.directory.appendingPathComponent("outbox/site-101.csv"))
        let noTrial = try sandbox.run(["submit", "--key", "s101.key", "--site", "101", "--name", "Sam Site", "outbox/site-101.csv"], withWorkspace: false)
        #expect(noTrial.status == 2 && noTrial.stderr.contains("--trial"), "\(noTrial.stderr)")
        let submitted = try sandbox.run(["submit", "--key", "s101.key", "--site", "101", "--trial", "DEMO-2026-001", "--name", "Sam Site", "outbox/site-101.csv"],
                                        withWorkspace: false)
        #expect(submitted.status == 0 && submitted.stdout.contains("submission-site-101.json"), "\(submitted.stderr)")
        // Before the operator trusts the key: refused, nothing written.
        let refused = try sandbox.run(["ingest", "measurements", "--submission", "outbox/submission-site-101.json"])
        #expect(refused.status == 2 && refused.stderr.contains("trust add VKEY --name NAME --may-sign submission --sites 101"), "\(refused.stderr)")
        let noSites = try sandbox.run(["trust", "add", vkey, "--name", "Sam Site", "--may-sign", "submission"])
        #expect(noSites.status == 2 && noSites.stderr.contains("needs --sites"), "\(noSites.stderr)")
        #expect(try sandbox.run(["trust", "add", vkey, "--name", "Sam Site", "--may-sign", "submission", "--sites", "101"]).status == 0)
        #expect(try sandbox.run(["trust", "require-submissions"]).status == 0)
        #expect(try sandbox.run(["trust", "show"]).stdout.contains("sites:    101\nmeasurement stages ingest site-signed submissions only"))
        let plain = try sandbox.run(["ingest", "measurements", "SampleData/measurements/site-102.csv"])
        #expect(plain.status == 2 && plain.stderr.contains("requires site-signed submissions"), "\(plain.stderr)")
        let both = try sandbox.run(["ingest", "measurements", "--submission", "outbox/submission-site-101.json", "outbox/site-101.csv"])
        #expect(both.status == 2 && both.stderr.contains("not both"), "\(both.stderr)")
        let ingested = try sandbox.run(["ingest", "measurements", "--submission", "outbox/submission-site-101.json"])
        #expect(ingested.status == 0 && ingested.stdout.contains("measurements: 2603 records"), "\(ingested.stdout)\(ingested.stderr)")
        #expect(try sandbox.run(["verify"]).status == 0)
    }

    /// The same over HTTP: `submit --server` to `serve --accept-submissions`, and `monitor`
    /// following the served log; tokens of the wrong role, and servers that are down, say so.
    @Test func aSiteSubmitsOverHTTPAndAMonitorFollowsTheServedLog() throws {
        let sandbox = try startedTrial()
        let vkey = try sandbox.run(["keys", "generate", "--name", "site-101.coordinator", "--out", "s101.key"], withWorkspace: false)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try sandbox.run(["trust", "add", vkey, "--name", "Sam Site", "--may-sign", "submission", "--sites", "101"]).status == 0)
        sandbox.file("site.token", try sandbox.run(["token", "create", "--name", "site 101", "--role", "site:101"]).stdout)
        sandbox.file("auditor.token", try sandbox.run(["token", "create", "--name", "auditor", "--role", "auditor"]).stdout)
        let ledgerKey = try sandbox.run(["keys", "show", "ledger"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let operatorKey = try sandbox.run(["keys", "show", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, said) = try sandbox.startServer(["serve", "--accept-submissions", "--port", "0"])
        guard let url = said.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map({ String(said[$0]) }) else {
            server.terminate()
            Issue.record("serve did not start: \(said)")
            return
        }
        let submit = ["submit", "--key", "s101.key", "--site", "101", "--trial", "DEMO-2026-001", "--name", "Sam Site", "--server", url]
        // The auditor's token may read, not submit: refused, and the signed submission stays on disk.
        let wrongRole = try sandbox.run(submit + ["--token-file", "auditor.token", "SampleData/measurements/site-101.csv"], withWorkspace: false)
        #expect(wrongRole.status == 1 && wrongRole.stderr.contains("refused the submission (HTTP 403)"), "\(wrongRole.stdout)\(wrongRole.stderr)")
        let sent = try sandbox.run(submit + ["--token-file", "site.token", "SampleData/measurements/site-101.csv"], withWorkspace: false)
        #expect(sent.status == 0 && sent.stdout.contains(#""outcome":"committed","records":2603,"rejected":1"#), "\(sent.stdout)\(sent.stderr)")

        let monitor = ["monitor", url, "--state", "monitor.json", "--ledger-key", ledgerKey, "--operator-key", operatorKey]
        let noToken = try sandbox.run(monitor, withWorkspace: false)
        #expect(noToken.status == 2 && noToken.stderr.contains("entries need a monitor or auditor token"), "\(noToken.stderr)")
        let followed = try sandbox.run(monitor + ["--token-file", "auditor.token"], withWorkspace: false)
        #expect(followed.status == 0 && followed.stdout.contains("size 0 → 6: consistent; 6 new entries")
                && followed.stdout.contains("1 × ingest/measurements by"), "\(followed.stdout)\(followed.stderr)")
        server.terminate()
        server.waitUntilExit()

        // The server is down: both say which host could not be reached, and nothing is lost.
        let down = try sandbox.run(["monitor", url, "--state", "monitor.json", "--token-file", "auditor.token"], withWorkspace: false)
        #expect(down.status == 2 && down.stderr.contains("cannot reach 127.0.0.1:"), "\(down.stderr)")
        let unsent = try sandbox.run(submit + ["--token-file", "site.token", "--out", "SampleData/measurements/again.json", "SampleData/measurements/site-101.csv"], withWorkspace: false)
        #expect(unsent.status != 0 && unsent.stderr.contains("cannot reach 127.0.0.1:") && unsent.stderr.contains("the submission was not sent: cannot reach 127.0.0.1:") && unsent.stderr.contains("; it is kept at"), "\(unsent.stderr)")
        #expect(FileManager.default.fileExists(atPath: sandbox.directory.appendingPathComponent("SampleData/measurements/again.json").path))
        #expect(try sandbox.run(["verify"]).status == 0)
    }
}
