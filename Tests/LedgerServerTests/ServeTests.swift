import Crypto
import GRDB
import Foundation
import Hummingbird
import HummingbirdTesting
import LedgerServer
import MerkleLog
import SignedNote
import Synchronization
import Testing
@testable import Workspace

/// Issue 15: `trialchain serve`, the tlog-tiles read API straight from the workspace.
@Suite("Serving the log over HTTP")
struct ServeTests {
    /// Lines the server logged.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// A workspace in a temporary folder with `count` entries, each signed in one checkpoint.
    func workspace(entries count: Int) throws -> (Workspace, URL, [[UInt8]]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clock = TrialClock(fixed: Date(timeIntervalSince1970: 1_795_000_000))
        let workspace = try Workspace.create(at: folder.appendingPathComponent("ws"), trialID: "DEMO-2026-001",
                                             origin: "example.org/trials/DEMO-2026-001", clock: clock)
        let entries = (0..<count).map { Array("entry \($0)".utf8) }
        let signer = try workspace.signer(.ledger)
        _ = try workspace.write { db in
            try LedgerStore(db).append(entries, signer: signer, origin: workspace.origin, signedAt: clock.timestamp)
        }
        return (workspace, folder, entries)
    }

    @Test func checkpointAndTilesAreServedWithTheirCacheHeaders() async throws {
        let (workspace, folder, entries) = try workspace(entries: 260)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = Lines()
        let app = Application(router: LedgerServer(workspace: workspace, accessLog: log.append).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/checkpoint", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=5")
                let note = try SignedNote(parsing: String(buffer: response.body))
                _ = try note.verify(trusting: [workspace.ledgerKey])
                #expect(try Checkpoint(parsing: note.text).size == 260)
            }
            try await client.execute(uri: "/tile/0/000", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                let bytes = Array(buffer: response.body)
                #expect(bytes == entries.prefix(256).flatMap { RFC6962.leafHash($0).bytes })
            }
            try await client.execute(uri: "/tile/0/001.p/4", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=5")
                #expect(Array(buffer: response.body) == entries.suffix(4).flatMap { RFC6962.leafHash($0).bytes })
            }
            // Past the signed size, non-canonical spellings, other paths: 404.
            for uri in ["/tile/0/001", "/tile/0/001.p/5", "/tile/1/000", "/tile/0/x000/001.p/4", "/tile/00/000",
                        "/tile/0/000.p/0", "/tile/0/000.p/256", "/tile/0/1", "/tile/x/000", "/objects", "/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                }
            }
        }
        #expect(log.all.count == 14)
        #expect(log.all.first?.contains(" GET /checkpoint 200 ") == true)
    }

    @Test func theExplorerIsServedUnderAStrictPolicyAndItsDataNeedsTokens() async throws {
        let (workspace, folder, _) = try workspace(entries: 250)
        defer { try? FileManager.default.removeItem(at: folder) }
        let auditor = try workspace.createAccessToken(name: "auditor", role: .auditor)
        let site = try workspace.createAccessToken(name: "site", role: .site("101"))
        let app = Application(router: LedgerServer(workspace: workspace, accessLog: { _ in }).router())
        try await app.test(.router) { client in
            func get(_ uri: String, _ token: String? = nil) async throws -> (HTTPResponse.Status, HTTPFields, String) {
                try await client.execute(uri: uri, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:]) { ($0.status, $0.headers, String(buffer: $0.body)) }
            }
            for (uri, type) in [("/explorer", "text/html"), ("/explorer/", "text/html"), ("/explorer/verify.js", "text/javascript"), ("/explorer/explorer.css", "text/css")] {
                let (status, headers, body) = try await get(uri)
                #expect(status == .ok && headers[.contentType]?.hasPrefix(type) == true && !body.isEmpty, "\(uri)")
                #expect(headers[.contentSecurityPolicy]?.contains("default-src 'none'; script-src 'self'") == true, "\(uri)")
            }
            #expect(try await get("/explorer/../trialchain.sqlite").0 == .notFound)
            #expect(try await get("/explorer/secret.txt").0 == .notFound)
            // The page loads nothing from elsewhere.
            let html = try await get("/explorer/").2
            #expect(!html.contains("http://") && !html.contains("https://"))
            #expect(try await get("/v1/overview").0 == .unauthorized)
            let overview = try await get("/v1/overview", auditor)
            #expect(overview.0 == .ok && overview.2.contains("\"trial\":\"DEMO-2026-001\""))
            let first = try await get("/v1/entries?page=1", auditor)
            #expect(first.0 == .ok && first.2.contains("\"pages\":3") && first.2.contains("\"index\":99") && !first.2.contains("\"index\":100,"))
            let last = try await get("/v1/entries?page=3", auditor)
            #expect(last.0 == .ok && last.2.contains("\"index\":251"))
            for page in ["0", "4", "99999999999999999999", "-1", "x"] {
                let (status, _, body) = try await get("/v1/entries?page=\(page)", auditor)
                #expect(status == .badRequest && body.contains("does not exist"), "\(page)")
            }
            #expect(try await get("/v1/entries?page=1", site).0 == .forbidden)
        }
    }

    @Test func anchoredTrustPoliciesAreServedToMonitorsByDigestOnly() async throws {
        let (workspace, folder, _) = try workspace(entries: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let monitor = try workspace.createAccessToken(name: "CRO monitor", role: .monitor)
        let site = try workspace.createAccessToken(name: "Site 01", role: .site("S01"))
        var policy = try workspace.trustPolicy()
        policy.signers.append(.init(key: try NoteSigner.generate(name: "reviewer").verifierKey, name: "Dr. Review", maySign: ["signature/reviewed"]))
        _ = try workspace.setTrustPolicy(policy)
        let bytes = policy.canonicalBytes
        let digest = Hex.encode(SHA256.hash(data: Data(bytes)))
        // The token list is anchored too, but it is not a trust policy: not served by this route.
        let tokenList = try workspace.read { try String.fetchOne($0.db, sql: "SELECT sha256 FROM anchored_files WHERE name = 'access-tokens.json'") }
        let app = Application(router: LedgerServer(workspace: workspace, accessLog: { _ in }).router())
        try await app.test(.router) { client in
            func get(_ uri: String, _ token: String?) async throws -> (HTTPResponse.Status, [UInt8]) {
                try await client.execute(uri: uri, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:]) { ($0.status, Array(buffer: $0.body)) }
            }
            let served = try await get("/trust-policy/\(digest)", monitor)
            #expect(served.0 == .ok && served.1 == bytes)
            #expect(try await get("/trust-policy/\(digest)", nil).0 == .unauthorized)
            #expect(try await get("/trust-policy/\(digest)", site).0 == .forbidden)
            #expect(try await get("/trust-policy/\(try #require(tokenList))", monitor).0 == .notFound)
            #expect(try await get("/trust-policy/\(digest.uppercased())", monitor).0 == .notFound)
            #expect(try await get("/trust-policy/../trialchain.sqlite", monitor).0 == .notFound)
        }
    }

    @Test func entriesAreServedToMonitorAndAuditorTokensOnlyUntilRevoked() async throws {
        let (workspace, folder, entries) = try workspace(entries: 3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let monitor = try workspace.createAccessToken(name: "CRO monitor", role: .monitor)
        let auditor = try workspace.createAccessToken(name: "Auditor A", role: .auditor)
        let site = try workspace.createAccessToken(name: "Site 01", role: .site("S01"))
        #expect(throws: WorkspaceError.self) { try workspace.createAccessToken(name: "CRO monitor", role: .auditor) }
        // Three anchors: the ledger now holds 6 entries; the bundle of the signed size holds them all.
        let size = try workspace.read { try $0.checkpoint().size }
        #expect(size == 6)
        let log = Lines()
        let app = Application(router: LedgerServer(workspace: workspace, accessLog: log.append).router())
        let uri = "/tile/entries/000.p/\(size)"
        try await app.test(.router) { client in
            for token in [monitor, auditor] {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl]?.hasPrefix("private") == true)
                    let bytes = Array(buffer: response.body)
                    #expect(Array(bytes.prefix(2 + entries[0].count)) == [0, UInt8(entries[0].count)] + entries[0])
                }
            }
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(site)"]) { response in
                #expect(response.status == .forbidden)
            }
            // A near miss (last character changed), another scheme, an empty bearer: 401.
            let nearMiss = String(monitor.dropLast()) + (monitor.last == "A" ? "B" : "A")
            for header in ["Bearer \(nearMiss)", "Basic \(monitor)", "Bearer ", "bearer \(monitor)"] {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .unauthorized, "\(header.prefix(8))")
                }
            }
        }
        // Revoked: refused from the next request on, and the change is anchored.
        try workspace.revokeAccessToken(name: "CRO monitor")
        #expect(try workspace.read { try $0.checkpoint().size } == 7)
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(monitor)"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(auditor)"]) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try workspace.accessTokens().map(\.name) == ["Auditor A", "Site 01"])
        #expect(throws: WorkspaceError.self) { try workspace.revokeAccessToken(name: "CRO monitor") }
        // No token is stored: not in the database, not among the objects; never logged.
        var stored = Data()
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            if let data = FileManager.default.contents(atPath: file.path) { stored.append(data) }
        }
        for token in [monitor, auditor, site] {
            #expect(stored.range(of: Data(token.utf8)) == nil)
            #expect(stored.range(of: Data(token.dropFirst(4).prefix(20).utf8)) == nil)
            #expect(!log.all.joined().contains(token))
        }
        // The token list is anchored under its reserved name: `anchor` may not forge one.
        let forged = folder.appendingPathComponent("forged.json")
        try Data(#"{"tokens":[],"version":1}"#.utf8).write(to: forged)
        #expect(throws: WorkspaceError.self) { try workspace.anchor([(url: forged, name: "access-tokens.json")]) }
    }

    @Test func entriesNeedATokenAndNoTokenOrQueryIsEverLogged() async throws {
        let (workspace, folder, _) = try workspace(entries: 3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = Lines()
        let app = Application(router: LedgerServer(workspace: workspace, accessLog: log.append).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/tile/entries/000.p/3", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(!String(buffer: response.body).contains("entry 0"))
            }
            try await client.execute(uri: "/tile/entries/000.p/3?token=s3cret-query", method: .get,
                                     headers: [.authorization: "Bearer s3cret-header"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(log.all.count == 2)
        #expect(log.all.allSatisfy { $0.contains(" GET /tile/entries/000.p/3 401 ") })
        #expect(!log.all.joined().contains("s3cret"))
    }

    @Test func tilePathsParseOnlyInTheirCanonicalSpelling() {
        #expect(TilePath("tile/0/x001/x234/067.p/8")?.index == 1_234_067)
        #expect(TilePath("tile/0/x001/x234/067.p/8")?.width == 8)
        #expect(TilePath("tile/3/000")?.level == 3)
        #expect(TilePath("tile/entries/x001/000")?.level == nil)
        #expect(TilePath("tile/entries/x001/000")?.index == 1000)
        for bad in ["tile/0/x000/001", "tile/0/01", "tile/0/0001", "tile/-1/000", "tile/64/000", "tile/0/000.p/007",
                    "tile/0/000.p/", "tile/0/x001", "tile/0/001/002", "tile/0/000/", "tiles/0/000", "tile/0/+01"] {
            #expect(TilePath(bad) == nil, "\(bad)")
        }
        // Every index's own path parses back to it.
        for index: UInt64 in [0, 1, 999, 1000, 1_234_067, UInt64.max / 256] {
            #expect(TilePath("tile/1/" + Tile.pathElement(index))?.index == index)
        }
    }
}
