import Attestation
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Ingest
import LedgerServer
import MerkleLog
import SignedNote
import Testing
@testable import Workspace

/// Issue 15: `POST /v1/submissions`, authenticated by a site token and the envelope's signature.
@Suite("Submissions over HTTP", .serialized)
struct SubmissionEndpointTests {
    static let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData")

    final class Trial: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("submit-http-\(UUID().uuidString)")
        let workspace: Workspace
        let sites: [String: NoteSigner]
        var tokens: [String: String] = [:]

        init() throws {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            workspace = try Workspace.create(at: root.appendingPathComponent("ws"), trialID: "DEMO-2026-001", origin: "example.org/trials/DEMO-2026-001")
            let ingestor = Ingestor(workspace: workspace)
            _ = try ingestor.ingestProtocol(try InputFile(url: sampleData.appendingPathComponent("protocol.xml"), name: "protocol.xml"))
            let folder = sampleData.appendingPathComponent("consents")
            let consents = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            _ = try ingestor.ingestConsents(try consents.map { try InputFile(url: folder.appendingPathComponent($0), name: $0) })
            sites = ["101": try NoteSigner.generate(name: "site-101.coordinator"), "102": try NoteSigner.generate(name: "site-102.coordinator")]
            var policy = try workspace.trustPolicy()
            for (site, key) in sites.sorted(by: { $0.key < $1.key }) {
                policy.signers.append(.init(key: key.verifierKey, name: "Coordinator \(site)", maySign: ["submission"], sites: [site]))
            }
            try workspace.setTrustPolicy(policy)
            for site in ["101", "102"] { tokens[site] = try workspace.createAccessToken(name: "site \(site)", role: .site(site)) }
            tokens["monitor"] = try workspace.createAccessToken(name: "monitor", role: .monitor)
            tokens["auditor"] = try workspace.createAccessToken(name: "auditor", role: .auditor)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        var size: UInt64 { get throws { try workspace.read { try $0.checkpoint() }.size } }

        /// Rows of the sample file of `site` (all, or the first `count`), as a file's bytes.
        func rows(_ site: String, count: Int? = nil, extra: String = "") throws -> [UInt8] {
            let lines = try String(contentsOf: sampleData.appendingPathComponent("measurements/site-\(site).csv"), encoding: .utf8).split(separator: "\n")
            return Array((lines.prefix((count ?? lines.count - 1) + 1).joined(separator: "\n") + "\n" + extra).utf8)
        }

        func envelope(site: String, files: [(String, [UInt8])], signer: NoteSigner? = nil) throws -> [UInt8] {
            try Submission.sign(files: files.map { ($0.0, Hex.encode(Crypto.SHA256.hash(data: Data($0.1)))) }, trial: "DEMO-2026-001", site: site,
                                signer: signer ?? sites[site]!, signerName: "Coordinator \(site)", at: "2026-12-01T10:00:00Z")
        }
    }

    static func multipart(envelope: [UInt8]?, files: [(String, [UInt8])], reason: String? = nil, boundary: String = "b0undary") -> ByteBuffer {
        var body: [UInt8] = []
        func part(_ disposition: String, _ bytes: [UInt8]) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; \(disposition)\r\n\r\n".utf8) + bytes + Array("\r\n".utf8)
        }
        if let envelope { part("name=\"envelope\"", envelope) }
        for (name, bytes) in files { part("name=\"file\"; filename=\"\(name)\"", bytes) }
        if let reason { part("name=\"reason\"", Array(reason.utf8)) }
        body += Array("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: body)
    }

    func post(_ client: some TestClientProtocol, token: String?, body: ByteBuffer, contentType: String = "multipart/form-data; boundary=b0undary")
        async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/v1/submissions", method: .post, headers: headers, body: body) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func aSiteSubmitsOverHTTPAndEverythingElseIsRefusedWithItsStatus() async throws {
        let trial = try Trial()
        let file = try trial.rows("101", extra: "P-0002,102,SE.WEEK8,IT.HR,70,beats/min,2026-05-08T10:14:00Z\n")
        let envelope = try trial.envelope(site: "101", files: [("site-101.csv", file)])
        let good = Self.multipart(envelope: envelope, files: [("site-101.csv", file)])
        let before = try trial.size
        let app = Application(router: LedgerServer(workspace: trial.workspace, accessLog: { _ in }, submissionBytes: 1 << 20).router())
        try await app.test(.router) { client in
            // Refused, each with its status, nothing written.
            #expect(try await post(client, token: nil, body: good).0 == .unauthorized)
            #expect(try await post(client, token: trial.tokens["monitor"], body: good).0 == .forbidden)
            let otherSite = try await post(client, token: trial.tokens["102"], body: good)
            #expect(otherSite.0 == .forbidden && otherSite.1.contains("the token is for site 102; the submission is for site 101"))
            let changed = Self.multipart(envelope: envelope, files: [("site-101.csv", file + Array("P-0001,101,SE.WEEK8,IT.HR,70,beats/min,2026-05-08T10:14:00Z\n".utf8))])
            let altered = try await post(client, token: trial.tokens["101"], body: changed)
            #expect(altered.0 == .unprocessableContent && altered.1.contains("the file was changed after it was submitted"), "\(altered.1)")
            let stranger = try NoteSigner.generate(name: "stranger")
            let unsigned = Self.multipart(envelope: try trial.envelope(site: "101", files: [("site-101.csv", file)], signer: stranger), files: [("site-101.csv", file)])
            #expect(try await post(client, token: trial.tokens["101"], body: unsigned).0 == .forbidden)
            let extra = Self.multipart(envelope: envelope, files: [("site-101.csv", file), ("other.csv", [0x41])])
            #expect(try await post(client, token: trial.tokens["101"], body: extra).0 == .badRequest)
            #expect(try await post(client, token: trial.tokens["101"], body: Self.multipart(envelope: nil, files: [("site-101.csv", file)])).0 == .badRequest)
            #expect(try await post(client, token: trial.tokens["101"], body: Self.multipart(envelope: envelope, files: [("../site-101.csv", file)])).0 == .badRequest)
            #expect(try await post(client, token: trial.tokens["101"], body: good, contentType: "application/json").0 == .unsupportedMediaType)
            let huge = Self.multipart(envelope: envelope, files: [("site-101.csv", [UInt8](repeating: 0x41, count: 1 << 20))])
            #expect(try await post(client, token: trial.tokens["101"], body: huge).0 == .contentTooLarge)
            #expect(try trial.size == before)

            // The real thing: committed, the other site's row rejected and listed.
            let (status, text) = try await post(client, token: trial.tokens["101"], body: good)
            #expect(status == .ok, "\(text)")
            let answer = try JSONValue.parse(Array(text.utf8))
            #expect(answer["outcome"]?.stringValue == "committed" && answer["records"]?.integerValue == 2603)
            // The sample file's own reject, and the other site's row.
            #expect(answer["rejected"]?.integerValue == 2)
            #expect(answer["rejects"]?.arrayValue?.contains { $0["reason"]?.stringValue?.contains("a row of site 102") == true && $0["line"]?.integerValue == 2606 } == true, "\(text)")
            // Sent again: unchanged, nothing appended.
            let again = try await post(client, token: trial.tokens["101"], body: good)
            #expect(again.0 == .ok && again.1.contains("\"outcome\":\"unchanged\""))
            // A corrected file of the same name needs a reason (409), then is a new version.
            let corrected = try trial.rows("101", count: 100)
            let correction = Self.multipart(envelope: try trial.envelope(site: "101", files: [("site-101.csv", corrected)]), files: [("site-101.csv", corrected)])
            #expect(try await post(client, token: trial.tokens["101"], body: correction).0 == .conflict)
            let withReason = Self.multipart(envelope: try trial.envelope(site: "101", files: [("site-101.csv", corrected)]), files: [("site-101.csv", corrected)],
                                            reason: "site 101 resent the first 100 rows only")
            #expect(try await post(client, token: trial.tokens["101"], body: withReason).0 == .ok)

            // Rejects: site 101 reads its own, site 102 none of them, an auditor all, a monitor none.
            func rejects(_ token: String?) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/v1/rejects", method: .get, headers: [.authorization: "Bearer \(token ?? "")"]) { ($0.status, String(buffer: $0.body)) }
            }
            let own = try await rejects(trial.tokens["101"])
            #expect(own.0 == .ok && own.1.contains("a row of site 102 in a file site 101 signed"), "\(own.1)")
            let other = try await rejects(trial.tokens["102"])
            #expect(other.0 == .ok && other.1 == "{\"rejects\":[]}\n", "\(other.1)")
            let all = try await rejects(trial.tokens["auditor"])
            let consentRejects = try trial.workspace.rejects().contains { $0.stage == "consents" }
            #expect(all.0 == .ok && all.1.contains("a row of site 102") && all.1.contains("\"stage\":\"consents\"") == consentRejects)
            #expect(try await rejects(trial.tokens["monitor"]).0 == .forbidden)

            // The explorer's stage-run data: scoped by site, bad input refused.
            let run = try #require(answer["run"]?.integerValue)
            func runPage(_ query: String, _ token: String?) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/v1/runs/\(query)", method: .get, headers: [.authorization: "Bearer \(token ?? "")"]) { ($0.status, String(buffer: $0.body)) }
            }
            let mine = try await runPage("\(run)?participant=P-0001", trial.tokens["101"])
            #expect(mine.0 == .ok && mine.1.contains("\"scope\":\"site 101\"") && mine.1.contains("\"participant\":\"P-0001\"") && mine.1.contains("a row of site 102"))
            let theirs = try await runPage("\(run)", trial.tokens["102"])
            #expect(theirs.0 == .ok && theirs.1.contains("\"total\":0") && theirs.1.contains("\"rejects\":[]"), "\(theirs.1)")
            #expect(try await runPage("\(run)", trial.tokens["monitor"]).0 == .forbidden)
            #expect(try await runPage("\(run)", nil).0 == .unauthorized)
            #expect(try await runPage("abc", trial.tokens["auditor"]).0 == .notFound)
            #expect(try await runPage("999999", trial.tokens["auditor"]).0 == .notFound)
            for query in ["page=0", "page=99999", "page=x", "participant=" + String(repeating: "p", count: 201)] {
                #expect(try await runPage("\(run)?\(query)", trial.tokens["auditor"]).0 == .badRequest, "\(query.prefix(20))")
            }
            let reportList = try await client.execute(uri: "/v1/reports", method: .get, headers: [.authorization: "Bearer \(trial.tokens["101"]!)"]) { $0.status }
            #expect(reportList == .forbidden)
            #expect(try await rejects(nil).0 == .unauthorized)
        }
        #expect(try trial.size == before + 2)
        _ = try trial.workspace.verifyLedger()
    }

    @Test func twoSitesAtOnceAreIngestedOneAfterTheOtherAndAServerWithoutSubmissionsSays404() async throws {
        let trial = try Trial()
        let app = Application(router: LedgerServer(workspace: trial.workspace, accessLog: { _ in }, submissionBytes: 1 << 24).router())
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for site in ["101", "102"] {
                    let file = try trial.rows(site)
                    let body = Self.multipart(envelope: try trial.envelope(site: site, files: [("site-\(site).csv", file)]), files: [("site-\(site).csv", file)])
                    group.addTask { try await post(client, token: trial.tokens[site], body: body) }
                }
                var runs: Set<Int64> = []
                for try await (status, text) in group {
                    #expect(status == .ok, "\(text)")
                    runs.insert(try JSONValue.parse(Array(text.utf8))["run"]?.integerValue ?? -1)
                }
                #expect(runs.count == 2 && !runs.contains(-1))
            }
        }
        _ = try trial.workspace.verifyLedger()
        let readOnly = Application(router: LedgerServer(workspace: trial.workspace, accessLog: { _ in }).router())
        try await readOnly.test(.router) { client in
            let (status, text) = try await post(client, token: trial.tokens["101"], body: Self.multipart(envelope: [1], files: []))
            #expect(status == .notFound && text.contains("--accept-submissions"))
        }
    }
}
