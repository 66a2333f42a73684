import Attestation
import Crypto
import Foundation
import SignedNote
import Testing
@testable import Workspace

/// A fresh workspace with two anchored files, its operator named.
final class SignedWorkspace {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
    let workspace: Workspace

    init() throws {
        workspace = try Workspace.create(at: root.appendingPathComponent("ws"), trialID: "T-1", origin: "example.org/t1", signerName: "Dana Reyes")
        let file = root.appendingPathComponent("a.txt")
        try Data("site log\n".utf8).write(to: file)
        _ = try workspace.anchor([(url: file, name: "a.txt")])
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func failure(policy: TrustPolicy? = nil) -> String? {
        do {
            _ = try workspace.verifyLedger(external: nil, policy: policy)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

@Suite("Trust policy and signatures that mean something")
struct TrustPolicyTests {
    @Test func everyAttestationNamesItsSignerMeaningAndTime() throws {
        let signed = try SignedWorkspace()
        let statement = try DSSEEnvelope(parsing: try signed.workspace.read { try $0.entry(0) }.entry).statement()
        let block = try #require(statement.predicate["signature"])
        #expect(block["name"] == "Dana Reyes" && block["meaning"] == "performed" && block["keyid"]?.stringValue == signed.workspace.operatorKey.handle)
        #expect(block["signedAt"] == statement.predicate["anchoredAt"])
        #expect(signed.failure() == nil)
    }

    @Test func aReviewerSignsWithTheMeaningThePolicyAllows() throws {
        let signed = try SignedWorkspace()
        let reviewer = try NoteSigner.generate(name: "reviewer.lee")
        #expect(throws: WorkspaceError.self, "not in the policy yet") { try signed.workspace.sign(entry: 0, meaning: .reviewed, with: reviewer) }
        var policy = try signed.workspace.trustPolicy()
        policy.signers.append(.init(key: reviewer.verifierKey, name: "Dr. Ada Lee", maySign: ["signature/reviewed"]))
        try signed.workspace.setTrustPolicy(policy)
        #expect(throws: WorkspaceError.self, "may review, not approve") { try signed.workspace.sign(entry: 0, meaning: .approved, with: reviewer) }
        let batch = try signed.workspace.sign(entry: 0, meaning: .reviewed, with: reviewer, comment: "matches the site log")
        let statement = try DSSEEnvelope(parsing: try signed.workspace.read { try $0.entry(batch.firstIndex) }.entry).statement()
        #expect(statement.predicateType == Workspace.signaturePredicateType)
        #expect(statement.predicate["signature"]?["name"] == "Dr. Ada Lee" && statement.predicate["signature"]?["meaning"] == "reviewed")
        let entry0 = try signed.workspace.read { try $0.entry(0) }
        #expect(statement.subjects.first?.sha256 == MerkleLogHex.sha256(entry0.entry), "bound to the exact bytes signed")
        #expect(signed.failure() == nil)

        // An auditor who trusts only the operator sees an unauthorised key.
        let operatorOnly = TrustPolicy(signers: [.init(key: signed.workspace.operatorKey, name: "Dana Reyes", maySign: ["*"])])
        #expect(signed.failure(policy: operatorOnly)?.contains("reviewer.lee") == true)
        #expect(signed.failure(policy: operatorOnly)?.contains("which the trust policy does not name: an unauthorised key") == true)
    }

    @Test func aKeyMaySignOnlyTheKindsThePolicyGivesIt() throws {
        let signed = try SignedWorkspace()
        let ingestOnly = TrustPolicy(signers: [.init(key: signed.workspace.operatorKey, name: "Dana Reyes", maySign: ["ingest/*"])])
        let failure = try #require(signed.failure(policy: ingestOnly))
        #expect(failure.contains("entry 0") && failure.contains("does not allow to sign anchor"), "\(failure)")
    }

    @Test func theNameInTheSignatureMustBeThePolicysNameForTheKey() throws {
        let signed = try SignedWorkspace()
        let renamed = TrustPolicy(signers: [.init(key: signed.workspace.operatorKey, name: "Someone Else", maySign: ["*"])])
        let failure = try #require(signed.failure(policy: renamed))
        #expect(failure.contains("its signature names Dana Reyes") && failure.contains("to Someone Else"), "\(failure)")
    }

    @Test func malformedPoliciesAreClearErrors() {
        for text in ["", "{}", #"{"version":1,"signers":[]}"#, #"{"version":1,"signers":[{"key":"nope","name":"x","maySign":["*"]}]}"#,
                     #"{"version":2,"signers":[]}"#] {
            #expect(throws: WorkspaceError.self, "\(text)") { try TrustPolicy(bytes: Array(text.utf8), file: "p.json") }
        }
    }
}

/// SHA-256 hex, for comparisons.
enum MerkleLogHex {
    static func sha256(_ bytes: [UInt8]) -> String {
        let digest = Crypto.SHA256.hash(data: bytes)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
