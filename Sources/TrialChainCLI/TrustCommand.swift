import ArgumentParser
import Attestation
import Foundation
import SignedNote
import Workspace

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Show or extend the trust policy: which keys may sign which entries, and whose they are.",
        discussion: """
            Entry kinds: ingest/protocol, ingest/consents, ingest/measurements, contract, report, \
            anchor, signature/performed, signature/reviewed, signature/approved; a rule may end in \
            '*' (ingest/*) or be '*'. `verify` refuses an entry signed by a key the policy does not \
            name, or may not sign that kind. Every change is anchored in the ledger.

            Site-signed submissions: a site coordinator's key may sign `submission` for the sites \
            --sites names (no rule, not even '*', lets a key submit for a site it is not scoped \
            to); `trust require-submissions` makes every later measurement stage ingest only \
            submissions.

            Examples:
              trialchain trust add "$(cat lee.pub)" --name "Dr. Ada Lee" --may-sign signature/reviewed,signature/approved
              trialchain trust add "$(cat site101.pub)" --name "Sam Site" --may-sign submission --sites 101
              trialchain trust require-submissions
            """,
        subcommands: [Show.self, Add.self, RequireSubmissions.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the trust policy.")
        @OptionGroup var options: WorkspaceOptions
        @Flag(help: "Print the policy file's canonical JSON.") var json = false

        func run() throws {
            let policy = try options.openReadOnly().trustPolicy()
            if json {
                print(CanonicalJSON.string(policy.json))
                return
            }
            for signer in policy.signers {
                print("\(signer.name)\n  key:      \(signer.key)\n  may sign: \(signer.maySign.joined(separator: ", "))"
                      + (signer.sites.isEmpty ? "" : "\n  sites:    \(signer.sites.joined(separator: ", "))"))
            }
            if policy.requireSubmissions { print("measurement stages ingest site-signed submissions only") }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Trust a key to sign some kinds of entries.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: ArgumentHelp("The verifier key (from `trialchain keys generate`).", valueName: "vkey")) var key: String
        @Option(help: ArgumentHelp("The key holder's printed name.", valueName: "name")) var name: String
        @Option(help: ArgumentHelp("Comma-separated entry kinds.", valueName: "kinds")) var maySign: String
        @Option(help: ArgumentHelp("With --may-sign submission: the comma-separated sites the key submits for.", valueName: "sites")) var sites: String?

        func run() throws {
            let workspace = try options.open()
            let verifier: NoteVerifierKey
            do { verifier = try NoteVerifierKey(key) } catch { throw UsageError("not a verifier key: \(error)") }
            var policy = try workspace.trustPolicy()
            guard policy.signer(handle: verifier.handle) == nil else { throw UsageError("\(verifier.handle) is already in the trust policy") }
            let kinds = maySign.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !kinds.isEmpty, !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw UsageError("give --name and at least one kind in --may-sign") }
            let siteList = (sites ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard siteList.isEmpty == !kinds.contains(Submission.kind) else {
                throw UsageError(siteList.isEmpty ? "a key that may sign submission needs --sites (the sites it submits for)" : "--sites is for a key that may sign submission")
            }
            policy.signers.append(.init(key: verifier, name: name, maySign: kinds, sites: siteList))
            let batch = try workspace.setTrustPolicy(policy)
            print("\(name) (\(verifier.handle)) may sign \(kinds.joined(separator: ", "))"
                  + (siteList.isEmpty ? "" : " for site(s) \(siteList.joined(separator: ", "))") + "; policy anchored as entry \(batch.firstIndex)")
        }
    }

    struct RequireSubmissions: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "require-submissions",
            abstract: "From now on, measurement stages ingest site-signed submissions only (anchored; verify enforces it).")
        @OptionGroup var options: WorkspaceOptions

        func run() throws {
            let workspace = try options.open()
            var policy = try workspace.trustPolicy()
            guard !policy.requireSubmissions else { throw UsageError("the trust policy in force already requires submissions") }
            guard policy.signers.contains(where: { !$0.sites.isEmpty }) else {
                throw UsageError("no key may submit for any site yet: add the sites' keys first (`trialchain trust add VKEY --name NAME --may-sign submission --sites SITE`)")
            }
            policy.requireSubmissions = true
            let batch = try workspace.setTrustPolicy(policy)
            print("measurement stages now ingest site-signed submissions only; policy anchored as entry \(batch.firstIndex)")
        }
    }
}

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Review or approve a ledger entry with a signature that says what it means.",
        discussion: """
            Appends a signature entry (predicate https://trialchain.dev/signature/v1) over the \
            exact bytes of entry I: the signer's printed name from the trust policy, the meaning \
            (reviewed or approved), the time, and the digests of what the entry attests. The key \
            must be allowed to sign signature/<meaning> by the trust policy.

            Example:
              trialchain sign 5 --meaning approved --key ~/keys/lee.key --comment "payouts checked against site logs"
            """)

    @OptionGroup var options: WorkspaceOptions
    @Argument(help: ArgumentHelp("The entry index to sign.", valueName: "index")) var index: UInt64
    @Option(help: ArgumentHelp("reviewed or approved.", valueName: "meaning")) var meaning: String
    @Option(help: ArgumentHelp("The signer's private key file (default: the operator key).", valueName: "file")) var key: String?
    @Option(help: ArgumentHelp("A comment recorded with the signature.", valueName: "text")) var comment: String?

    func run() throws {
        guard let meaning = SignatureMeaning(rawValue: meaning), meaning != .performed else {
            throw UsageError("--meaning \(meaning): expected reviewed or approved")
        }
        let workspace = try options.open()
        var signer: NoteSigner?
        if let key {
            signer = try PrivateKeyFile.signer(key)
        }
        let batch = try workspace.sign(entry: index, meaning: meaning, with: signer, comment: comment)
        let entry = try workspace.read { try $0.entry(batch.firstIndex) }
        print(LogCommand.describe(entry))
    }
}
