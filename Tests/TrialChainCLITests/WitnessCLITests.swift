import Foundation
import Testing

/// Issue 15 from the command line: a witness served by `trialchain witness serve`, configured on
/// the log with `witness add`, cosigning after each write, and `verify --witness-policy`.
@Suite("trialchain witness", .serialized)
struct WitnessCLITests {
    /// Starts `witness serve` on a port the system chooses; returns the process and its URL.
    func serve(_ sandbox: CLISandbox, key: String, state: String, log: String) throws -> (Process, String) {
        let (process, said) = try sandbox.startServer(["witness", "serve", "--key", key, "--state", state, "--log", log, "--listen", "127.0.0.1:0"],
                                                      withWorkspace: false)
        guard let range = said.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the witness did not start: \(said)"])
        }
        return (process, String(said[range]))
    }

    @Test func aServedWitnessCosignsEachWriteAndVerifyChecksTheQuorum() throws {
        let sandbox = CLISandbox()
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        let ledgerKey = try sandbox.run(["keys", "show", "ledger"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let generated = try sandbox.run(["keys", "generate", "--name", "witness-a.example", "--witness", "--out", "wa.key"], withWorkspace: false)
        #expect(generated.status == 0, "\(generated.stderr)")
        let witnessKey = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try sandbox.run(["keys", "generate", "--name", "witness-b.example", "--witness", "--out", "wb.key"], withWorkspace: false)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (witness, url) = try serve(sandbox, key: "wa.key", state: "wa-state.json", log: ledgerKey)
        defer { witness.terminate(); witness.waitUntilExit() }

        // A second witness process on the same state file is refused.
        let twin = try sandbox.run(["witness", "serve", "--key", "wa.key", "--state", "wa-state.json", "--log", ledgerKey, "--listen", "127.0.0.1:0"],
                                   withWorkspace: false)
        #expect(twin.status == 2 && twin.stderr.contains("another witness process is using"), "\(twin.stderr)")

        let added = try sandbox.run(["witness", "add", url, witnessKey])
        #expect(added.status == 0 && added.stderr.contains("witness witness-a.example: cosigned size 1"), "\(added.stderr)")
        try Data("hello".utf8).write(to: sandbox.directory.appendingPathComponent("a.txt"))
        let anchored = try sandbox.run(["anchor", "a.txt"])
        #expect(anchored.status == 0 && anchored.stderr.contains("witness witness-a.example: cosigned size 2"), "\(anchored.stderr)")
        let cosigned = try sandbox.run(["checkpoint", "--cosigned"]).stdout
        #expect(cosigned.contains("\n— witness-a.example "))

        let policy = sandbox.directory.appendingPathComponent("policy.txt")
        try Data("log \(ledgerKey)\nwitness A \(witnessKey)\nwitness B \(other)\ngroup g any A B\nquorum g\n".utf8).write(to: policy)
        let met = try sandbox.run(["verify", "--witness-policy", policy.path])
        #expect(met.status == 0 && met.stdout.contains("meets the witness quorum of \(policy.path): cosigned by A"), "\(met.stdout)\(met.stderr)")
        try Data("witness A \(witnessKey)\nwitness B \(other)\ngroup g all A B\nquorum g\n".utf8).write(to: policy)
        let unmet = try sandbox.run(["verify", "--witness-policy", policy.path])
        #expect(unmet.status == 1 && unmet.stderr.contains("valid ones from A; none from B"), "\(unmet.stderr)")
        try Data("witness A \(witnessKey)\ngroup g 3 A\nquorum g\n".utf8).write(to: policy)
        let malformed = try sandbox.run(["verify", "--witness-policy", policy.path])
        #expect(malformed.status == 2 && malformed.stderr.contains("policy.txt:2: group g: the threshold must be all, any or a number from 1 to 1"), "\(malformed.stderr)")

        // A witness that is down: the write is kept, a warning says so, and `witness push` exits 2.
        let down = try sandbox.run(["witness", "add", "http://127.0.0.1:1", other])
        #expect(down.status == 0 && down.stderr.contains("witness witness-b.example unreachable: cannot reach 127.0.0.1:1: Connection refused"), "\(down.stderr)")
        #expect(try sandbox.run(["witness", "push"]).status == 2)
        let listed = try sandbox.run(["witness", "list"]).stdout
        #expect(listed.contains("witness-a.example  \(url)  cosigned size 3 (latest)") && listed.contains("witness-b.example  http://127.0.0.1:1  never cosigned"), "\(listed)")
        #expect(try sandbox.run(["witness", "remove", "witness-b.example"]).status == 0)
        #expect(try sandbox.run(["witness", "push"]).status == 0)

        // Bad input: an operator key as a witness key, a URL with credentials, the reserved anchor name.
        let notWitness = try sandbox.run(["witness", "add", url, ledgerKey])
        #expect(notWitness.status == 2 && notWitness.stderr.contains("tlog-cosignature/v1 verifier key"), "\(notWitness.stderr)")
        let credentials = try sandbox.run(["witness", "add", "http://user:pw@127.0.0.1:9", other])
        #expect(credentials.status == 2 && credentials.stderr.contains("without credentials"), "\(credentials.stderr)")
        try Data("{}".utf8).write(to: sandbox.directory.appendingPathComponent("witnesses.json"))
        let reserved = try sandbox.run(["anchor", "witnesses.json"])
        #expect(reserved.status == 2 && reserved.stderr.contains("list of witnesses"), "\(reserved.stderr)")
        #expect(try sandbox.run(["verify"]).status == 0)
    }
}
