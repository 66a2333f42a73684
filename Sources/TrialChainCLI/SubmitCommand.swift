import ArgumentParser
import Crypto
import Foundation
import Ingest
import MerkleLog
import SignedNote
import Witnessing
import Workspace

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Sign a site's measurement files as a submission, with the site coordinator's own key.",
        discussion: """
            Writes a DSSE envelope around an in-toto Statement: one subject per file (its name and \
            SHA-256), and a predicate naming the trial, the site, the stage kind (ingest/measurements), \
            the time and the 21 CFR Part 11 signature block (your printed name, meaning performed). \
            The files stay where they are; the submission goes beside them (all in one folder), and \
            the operator ingests it with `trialchain ingest measurements --submission FILE`. Your key \
            must be in the trial's trust policy, scoped to your site (`trialchain trust add VKEY \
            --name NAME --may-sign submission --sites 101`), under the same printed name.

            Example (a site coordinator, without the workspace):
              trialchain keys generate --name site-101.coordinator --out site101.key
              trialchain submit --key site101.key --site 101 --trial DEMO-2026-001 \\
                --name "Dr. Ada Lee" outbox/site-101.csv

            With --server URL and --token-file F (a site:<id> token from the operator), the \
            submission and its files are also sent to the operator's `trialchain serve \
            --accept-submissions`, which ingests them at once and answers with the outcome and the \
            rejects (exit 0 ingested, 1 refused, 2 not reached or bad usage).
            """)

    @OptionGroup var options: WorkspaceOptions
    @Option(help: ArgumentHelp("Your private key (from `trialchain keys generate`).", valueName: "file")) var key: String
    @Option(help: ArgumentHelp("The site the files are for.", valueName: "site")) var site: String
    @Option(help: ArgumentHelp("Your printed name, as the trust policy gives it for your key.", valueName: "name")) var name: String
    @Option(help: ArgumentHelp("The trial id (default: the workspace's, when there is one here).", valueName: "id")) var trial: String?
    @Option(help: ArgumentHelp("Where to write the submission (default: submission-site-<site>.json beside the files).", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("Send the submission to this server (`trialchain serve --accept-submissions`).", valueName: "url")) var server: String?
    @Option(help: ArgumentHelp("With --server: a file holding your site:<id> bearer token.", valueName: "file")) var tokenFile: String?
    @Option(help: ArgumentHelp("With --server: why files replace ones already ingested (a correction).", valueName: "text")) var reason: String?
    @Argument(help: ArgumentHelp("The measurement CSV files (all in one folder).", valueName: "file")) var files: [String]

    func run() async throws {
        guard (server == nil) == (tokenFile == nil) else { throw UsageError("--server and --token-file go together") }
        guard reason == nil || server != nil else { throw UsageError("--reason is sent with --server") }
        guard !files.isEmpty else { throw UsageError("give the measurement files to submit") }
        guard !site.isEmpty, site.count <= 64, site.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw UsageError("--site \(site): letters, digits, '-', '_' or '.', at most 64")
        }
        let signer = try PrivateKeyFile.signer(key)
        let trialID: String
        if let trial {
            trialID = trial
        } else if FileManager.default.fileExists(atPath: WorkspaceLayout(root: options.root).database.path) {
            trialID = try options.openReadOnly().trialID
        } else {
            throw UsageError("give the trial id with --trial (no workspace here)")
        }
        let urls = files.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let folder = urls[0].deletingLastPathComponent()
        guard urls.allSatisfy({ $0.deletingLastPathComponent() == folder }) else {
            throw UsageError("the files must be in one folder: the submission names them by file name and goes beside them")
        }
        let inputs = try zip(urls, files).map { try InputFile(url: $0, name: $1, root: folder) }
        let destination = out.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? folder.appendingPathComponent("submission-site-\(site).json")
        guard destination.deletingLastPathComponent() == folder else {
            throw UsageError("--out must be in the files' folder (\(folder.path)): the submission names them by file name")
        }
        guard !inputs.contains(where: { $0.url.lastPathComponent == destination.lastPathComponent }) else {
            throw UsageError("--out would overwrite a file being submitted")
        }
        let now = TrialClock().timestamp
        let bytes = try Submission.sign(files: inputs.map { ($0.url.lastPathComponent, $0.sha256) }, trial: trialID, site: site,
                                        signer: signer, signerName: name, at: now)
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, destination.path) == 0 else { throw UsageError("cannot write \(destination.path)") }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw UsageError("cannot write \(destination.path): \(error.localizedDescription)")
        }
        print("submission for site \(site) of trial \(trialID): \(inputs.count) file(s), signed by \(name) (\(signer.verifierKey.handle))")
        guard let server, let tokenFile else {
            print("written to \(destination.path); ingest it with: trialchain ingest measurements --submission \(destination.path)")
            return
        }
        print("written to \(destination.path); sending it to \(server)")
        guard let tokenData = FileManager.default.contents(atPath: tokenFile) else { throw UsageError("cannot read the token file \(tokenFile)") }
        let token = String(decoding: tokenData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let answer: (status: Int, body: String)
        do {
            answer = try await SubmissionClient().send(envelope: destination, files: inputs.map(\.url), reason: reason, server: server, token: token)
        } catch {
            throw UsageError("the submission was not sent: \(error.localizedDescription); it is kept at \(destination.path)")
        }
        print(answer.body.trimmingCharacters(in: .whitespacesAndNewlines))
        if answer.status != 200 {
            Terminal.error("the server refused the submission (HTTP \(answer.status))")
            throw ExitCode(answer.status >= 500 ? 2 : 1)
        }
    }
}
