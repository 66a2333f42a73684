import Attestation
import Crypto
import Foundation
import Ingest
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

/// Issue 15: site-signed submissions. A site coordinator signs their files with their own key;
/// the operator ingests them; `verify` checks every measurement record came from a file a key
/// allowed for its site signed, so the operator cannot make or change a site's data alone.
@Suite("Site-signed submissions", .serialized)
struct SubmissionTests {
    final class Trial {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("submission-\(UUID().uuidString)")
        let workspace: Workspace
        let site101 = try! NoteSigner.generate(name: "site-101.coordinator")
        let outbox: URL

        init() throws {
            try FileManager.default.copyItem(at: repository.appendingPathComponent("SampleData"), to: root.appendingPathComponent("SampleData"))
            workspace = try Workspace.create(at: root.appendingPathComponent("ws"), trialID: "DEMO-2026-001", origin: "example.org/trials/DEMO-2026-001")
            let data = root.appendingPathComponent("SampleData")
            let ingestor = Ingestor(workspace: workspace)
            _ = try ingestor.ingestProtocol(try InputFile(url: data.appendingPathComponent("protocol.xml"), name: "protocol.xml"))
            let consents = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("consents").path).filter { $0.hasSuffix(".json") }
            _ = try ingestor.ingestConsents(try consents.map { try InputFile(url: data.appendingPathComponent("consents/\($0)"), name: $0) })
            var policy = try workspace.trustPolicy()
            policy.signers.append(.init(key: site101.verifierKey, name: "Sam Site", maySign: ["submission"], sites: ["101"]))
            try workspace.setTrustPolicy(policy)
            outbox = root.appendingPathComponent("outbox")
            try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: data.appendingPathComponent("measurements/site-101.csv"), to: outbox.appendingPathComponent("site-101.csv"))
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        /// Signs the outbox's files as a submission and writes it beside them.
        @discardableResult
        func submit(site: String = "101", by signer: NoteSigner? = nil, name: String = "Sam Site", trial: String = "DEMO-2026-001",
                    files: [String] = ["site-101.csv"], to file: String = "submission.json") throws -> URL {
            let named = try files.map { ($0, try InputFile(url: outbox.appendingPathComponent($0), name: $0).sha256) }
            let bytes = try Submission.sign(files: named, trial: trial, site: site, signer: signer ?? site101, signerName: name, at: "2026-12-01T10:00:00Z")
            let url = outbox.appendingPathComponent(file)
            try Data(bytes).write(to: url)
            return url
        }

        func ingest(_ urls: [URL]) throws -> StageOutcome {
            var options = IngestOptions()
            var files: [InputFile] = []
            for url in urls {
                let (submission, named) = try Submission.load(at: url, name: "outbox/\(url.lastPathComponent)")
                options.submissions.append(submission)
                files += named
            }
            return try Ingestor(workspace: workspace).ingestMeasurements(files, options: options)
        }

        var size: UInt64 { get throws { try workspace.read { try $0.checkpoint() }.size } }

        func verifyFailure(policy: TrustPolicy? = nil) -> String? {
            do { _ = try workspace.verifyLedger(policy: policy); return nil } catch { return "\(error)" }
        }
    }

    @Test func aSubmissionIsIngestedNamedAndVerifiedAndOtherSitesRowsAreRejected() throws {
        let trial = try Trial()
        // A row of site 102 slipped into site 101's file before it was signed.
        let file = trial.outbox.appendingPathComponent("site-101.csv")
        try Data((try String(contentsOf: file, encoding: .utf8) + "P-0002,102,SE.SCREENING,IT.HR,70,beats/min,2026-03-08T10:14:00Z\n").utf8).write(to: file)
        let submission = try trial.submit()
        guard case let .committed(receipt) = try trial.ingest([submission]) else { Issue.record("not committed"); return }
        #expect(receipt.recordCount > 2000)
        let rejects = try trial.workspace.read { try String.fetchAll($0.db, sql: "SELECT reason FROM rejects WHERE run_id = ?", arguments: [receipt.runID]) }
        #expect(rejects.contains { $0.contains("a row of site 102 in a file site 101 signed") }, "\(rejects)")
        let sites = try trial.workspace.read { try String.fetchAll($0.db, sql: "SELECT DISTINCT site FROM records WHERE run_id = ?", arguments: [receipt.runID]) }
        #expect(sites == ["101"])
        // The stage names the submission among its materials, and the envelope is stored.
        let entry = try trial.workspace.read { try LedgerStore($0.db).entry(receipt.entryIndex) }
        let statement = try DSSEEnvelope(parsing: entry.entry).statement()
        let bytes = try Data(contentsOf: submission)
        let loaded = try Submission(bytes: Array(bytes), file: "s")
        let names = statement.predicate["materials"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains(loaded.materialName))
        #expect(FileManager.default.contents(atPath: trial.workspace.objects.path(for: loaded.sha256)) == bytes)
        #expect(trial.verifyFailure() == nil)
        // An auditor whose policy does not scope the key to site 101 is told so.
        var auditor = try trial.workspace.trustPolicy()
        auditor.signers[1].sites = ["102"]
        #expect(trial.verifyFailure(policy: auditor)?.contains("may not submit for site 101") == true)
    }

    @Test func whatIngestRefusesLeavesTheWorkspaceAsItWas() throws {
        let trial = try Trial()
        let before = try trial.size
        let stranger = try NoteSigner.generate(name: "stranger")
        let site102 = try NoteSigner.generate(name: "site-102.coordinator")
        var policy = try trial.workspace.trustPolicy()
        policy.signers.append(.init(key: site102.verifierKey, name: "Kim Other", maySign: ["submission"], sites: ["102"]))
        try trial.workspace.setTrustPolicy(policy)
        let operatorSigner = try trial.workspace.signer(.operator)
        let operatorName = try trial.workspace.trustPolicy().signers[0].name
        let cases: [(String, () throws -> URL, String)] = [
            ("a key the policy does not name", { try trial.submit(by: stranger, name: "Stranger") }, "the trust policy does not name that key"),
            ("a key scoped to another site", { try trial.submit(by: site102, name: "Kim Other") }, "may not submit for site 101"),
            ("the operator's key (may sign *)", { try trial.submit(by: operatorSigner, name: operatorName) }, "may not submit for site 101"),
            ("another printed name", { try trial.submit(name: "Someone Else") }, "names Someone Else, but the trust policy gives"),
            ("another trial", { try trial.submit(trial: "OTHER-1") }, "it is for trial OTHER-1"),
            ("a file changed after signing", {
                let url = try trial.submit()
                let file = trial.outbox.appendingPathComponent("site-101.csv")
                try Data((try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: ",133,", with: ",143,")).utf8).write(to: file)
                return url
            }, "the file was changed after it was submitted"),
        ]
        for (what, make, expected) in cases {
            let original = try Data(contentsOf: trial.repositoryFile)
            try original.write(to: trial.outbox.appendingPathComponent("site-101.csv"))
            do {
                _ = try trial.ingest([try make()])
                Issue.record("\(what): ingested")
            } catch {
                #expect("\(error)".contains(expected), "\(what): \(error)")
            }
        }
        #expect(try trial.size == before + 1, "only the policy change was appended")
        // A subject that is a path, not a file name.
        let statement = InTotoStatement(subjects: [.init(name: "../site-101.csv", sha256: String(repeating: "0", count: 64))], predicateType: Submission.predicateType,
                                        predicate: ["trial": "DEMO-2026-001", "site": "101", "stageKind": "ingest/measurements", "submittedAt": "t",
                                                    "signature": ["keyid": .string(trial.site101.verifierKey.handle), "name": "Sam Site", "meaning": "performed", "signedAt": "t"]])
        let envelope = try DSSEEnvelope(signing: statement.canonicalBytes, with: trial.site101).canonicalBytes
        #expect(throws: SubmissionError.self) { try Submission(bytes: envelope, file: "x") }
    }

    @Test func aRequiredSubmissionAndAForgerWithTheOperatorKeyAreCaught() throws {
        let trial = try Trial()
        let genuine = try trial.submit()
        _ = try trial.ingest([genuine])
        var policy = try trial.workspace.trustPolicy()
        policy.requireSubmissions = true
        try trial.workspace.setTrustPolicy(policy)
        // Plain files are refused once the policy requires submissions.
        let plain = try InputFile(url: trial.root.appendingPathComponent("SampleData/measurements/site-102.csv"), name: "site-102.csv")
        #expect(throws: WorkspaceError.self) { try Ingestor(workspace: trial.workspace).ingestMeasurements([plain]) }
        #expect(trial.verifyFailure() == nil)

        // The operator, with its own key and the library, makes a measurement stage of data of its
        // own under the genuine site-101 submission: verify names the records no submission covers.
        let submission = try Submission(bytes: Array(try Data(contentsOf: genuine)), file: "genuine")
        let forgedBytes = Array("participant,site,visit,item,value,unit,collected_at\nP-0001,101,SE.WEEK2,IT.SYSBP,120,mmHg,2026-02-04T09:00:00Z\n".utf8)
        let forgedDigest = Hex.encode(Crypto.SHA256.hash(data: Data(forgedBytes)))
        func forge(site: String, file: String, digest: String) throws {
            let description = StageDescription(stage: "measurements", kind: "ingest/measurements",
                                               materials: [StageMaterial(name: file, sha256: digest), StageMaterial(name: submission.materialName, sha256: submission.sha256)],
                                               parameters: [:], sources: [StageSource(artifact: "measurements/\(file)", file: file, sha256: digest)])
            _ = try trial.workspace.runStage(description) { writer in
                _ = try writer.storeDocument(bytes: forgedBytes)
                _ = try writer.storeDocument(bytes: submission.bytes)
                _ = try writer.add(StageRecord(artifact: "measurements/\(file)", participant: "P-0001", site: site, visit: "SE.WEEK2", item: "IT.SYSBP",
                                               value: "120", unit: "mmHg", observedAt: "2026-02-04T09:00:00Z", sourceFile: file, sourceLine: 2,
                                               content: ["participant": "P-0001", "site": .string(site)]))
                return [StageArtifact(name: "measurements/\(file)", bytes: CanonicalJSON.encode(["source": ["name": .string(file), "sha256": .string(digest)], "records": 1]))]
            }
        }
        try forge(site: "101", file: "forged.csv", digest: forgedDigest)
        let caught = trial.verifyFailure()
        #expect(caught?.contains("come from a file no site-signed submission of the stage covers") == true, "\(caught ?? "passed")")
    }

    @Test func sitesAndTheRequirementRoundTripAndOldPoliciesKeepTheirBytes() throws {
        let key = try NoteSigner.generate(name: "k").verifierKey
        let plain = TrustPolicy(signers: [.init(key: key, name: "Op", maySign: ["*"])])
        #expect(String(decoding: plain.canonicalBytes, as: UTF8.self) == #"{"signers":[{"key":"\#(key)","maySign":["*"],"name":"Op"}],"version":1}"#)
        var scoped = plain
        scoped.signers.append(.init(key: try NoteSigner.generate(name: "s").verifierKey, name: "Sam", maySign: ["submission"], sites: ["101", "102"]))
        scoped.requireSubmissions = true
        #expect(try TrustPolicy(bytes: scoped.canonicalBytes, file: "p") == scoped)
        #expect(scoped.signers[1].maySubmit(for: "102") && !scoped.signers[1].maySubmit(for: "103") && !scoped.signers[0].maySubmit(for: "101"))
        for bad in [#"{"signers":[{"key":"\#(key)","maySign":["*"],"name":"Op"}],"version":1,"requireSubmissions":false}"#,
                    #"{"signers":[{"key":"\#(key)","maySign":["*"],"name":"Op","sites":[]}],"version":1}"#] {
            #expect(throws: WorkspaceError.self, "\(bad)") { try TrustPolicy(bytes: Array(bad.utf8), file: "p") }
        }
    }

    @Test func aStageWithoutSubmissionsUnderAPolicyThatRequiresThemIsCaught() throws {
        let trial = try Trial()
        var policy = try trial.workspace.trustPolicy()
        policy.requireSubmissions = true
        try trial.workspace.setTrustPolicy(policy)
        // The operator bypasses the ingest command's refusal (an old build, the library).
        let file = "site-101.csv"
        let digest = try InputFile(url: trial.outbox.appendingPathComponent(file), name: file).sha256
        let description = StageDescription(stage: "measurements", kind: "ingest/measurements", materials: [StageMaterial(name: file, sha256: digest)],
                                           parameters: [:], sources: [StageSource(artifact: "measurements/\(file)", file: file, sha256: digest)])
        _ = try trial.workspace.runStage(description) { writer in
            _ = try writer.storeDocument(at: trial.outbox.appendingPathComponent(file))
            return [StageArtifact(name: "measurements/\(file)", bytes: CanonicalJSON.encode(["source": ["name": .string(file), "sha256": .string(digest)], "records": 0]))]
        }
        let caught = trial.verifyFailure()
        #expect(caught?.contains("the trust policy in force requires site-signed submissions, and this measurement stage names none") == true, "\(caught ?? "passed")")
    }

    @Test func aForgerWhoFilesAnotherSitesRecordsUnderASignedFileIsCaught() throws {
        let trial = try Trial()
        let genuine = try trial.submit()
        let submission = try Submission(bytes: Array(try Data(contentsOf: genuine)), file: "genuine")
        let file = "site-101.csv", digest = submission.files[0].sha256
        let description = StageDescription(stage: "measurements", kind: "ingest/measurements",
                                           materials: [StageMaterial(name: file, sha256: digest), StageMaterial(name: submission.materialName, sha256: submission.sha256)],
                                           parameters: [:], sources: [StageSource(artifact: "measurements/\(file)", file: file, sha256: digest)])
        _ = try trial.workspace.runStage(description) { writer in
            _ = try writer.storeDocument(at: trial.outbox.appendingPathComponent(file))
            _ = try writer.storeDocument(bytes: submission.bytes)
            _ = try writer.add(StageRecord(artifact: "measurements/\(file)", participant: "P-0002", site: "102", visit: "SE.WEEK2", item: "IT.SYSBP",
                                           value: "120", unit: "mmHg", observedAt: "2026-03-20T09:00:00Z", sourceFile: file, sourceLine: 2,
                                           content: ["participant": "P-0002", "site": "102"]))
            return [StageArtifact(name: "measurements/\(file)", bytes: CanonicalJSON.encode(["source": ["name": .string(file), "sha256": .string(digest)], "records": 1]))]
        }
        let caught = trial.verifyFailure()
        #expect(caught?.contains("are not of site 101, the site whose key signed the file") == true, "\(caught ?? "passed")")
    }
}

extension SubmissionTests.Trial {
    var repositoryFile: URL { root.appendingPathComponent("SampleData/measurements/site-101.csv") }
}
