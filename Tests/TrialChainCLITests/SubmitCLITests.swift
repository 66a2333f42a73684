import Foundation
import Testing

/// Issue 15 from the command line: a site coordinator signs, the operator trusts the site's key
/// for its site and ingests the submission; what a coordinator gets wrong is a clear error.
@Suite("trialchain submit", .serialized)
struct SubmitCLITests {
    @Test func aSiteSubmitsTheOperatorIngestsAndVerifyHolds() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        #expect(try sandbox.run(["ingest", "protocol", "SampleData/protocol.xml"]).status == 0)
        #expect(try sandbox.run(["ingest", "consents", "SampleData/consents"]).status == 0)
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
}
