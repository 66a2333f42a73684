import Attestation
import Foundation
import Hummingbird
import MerkleLog
import Workspace

/// The HTTP read API of a workspace's log, in the c2sp.org/tlog-tiles layout:
/// `GET /checkpoint` (the latest signed checkpoint with its cosignatures, cached a few seconds),
/// `GET /tile/<L>/<N>[.p/<W>]` (hashes: public; full tiles cached as immutable) and
/// `GET /tile/entries/<N>[.p/<W>]` (entries name pseudonymous participants: they need a bearer
/// token of a role that may read them, `monitor` or `auditor`: 401 without one, 403 for another role),
/// and `GET /trust-policy/<sha256>` (a trust policy the ledger anchors, for monitors; same tokens).
public struct LedgerServer: Sendable {
    /// How long clients may cache the checkpoint, in seconds.
    public static let checkpointMaxAge = 5
    let workspace: Workspace
    let accessLog: @Sendable (String) -> Void
    let submissions: SubmissionEndpoint?
    /// A token this process alone knows, standing for an auditor (`serve --bundle`: the bundle's
    /// own tokens are the operator's, and its ledger must not change to add one).
    let sessionToken: String?

    /// - parameters:
    ///   - accessLog: receives one line per request (method, path without the query, status,
    ///     bytes, milliseconds); never the request's headers, so never a token.
    ///   - submissionBytes: accept site submissions (`POST /v1/submissions`) up to this many
    ///     bytes each; nil: none (the workspace may then be read-only).
    ///   - sessionToken: a bearer token that reads as an auditor's for this process only.
    public init(workspace: Workspace, accessLog: @escaping @Sendable (String) -> Void, submissionBytes: Int? = nil, sessionToken: String? = nil) {
        self.workspace = workspace
        self.sessionToken = sessionToken
        self.accessLog = accessLog
        self.submissions = submissionBytes.map {
            SubmissionEndpoint(workspace: workspace, limits: .init(totalBytes: $0), writer: SerialWriter(), cosigner: CosignatureRunner(workspace: workspace))
        }
    }

    /// The routes, with the access log around them.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessLogMiddleware(log: accessLog))
        let workspace = self.workspace
        let session = sessionToken
        let bearer: @Sendable (Request) throws -> AccessToken = { try Self.bearer($0, workspace: workspace, session: session) }
        router.get("checkpoint") { _, _ -> Response in
            let note = try workspace.cosignedCheckpoint()
            return Self.response(Array(note.utf8), contentType: "text/plain; charset=utf-8",
                                 cacheControl: "public, max-age=\(Self.checkpointMaxAge)")
        }
        router.get("tile/**") { request, _ -> Response in
            guard let path = TilePath(String(request.uri.path.dropFirst())) else {
                throw HTTPError(.notFound, message: "not a tlog-tiles path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")
            }
            if path.level == nil {
                let token = try bearer(request)
                guard token.role.readsEntries else {
                    throw HTTPError(.forbidden, message: "the token \"\(token.name)\" (\(token.role)) may not read entries; monitor and auditor tokens may")
                }
            }
            guard let bytes = try workspace.tileResource(path) else {
                throw HTTPError(.notFound, message: "no such tile in the tree of the latest checkpoint")
            }
            // A full tile never changes; a partial one is replaced by the full tile as the log grows.
            return Self.response(bytes, contentType: "application/octet-stream",
                                 cacheControl: (path.level == nil ? "private" : "public") + (path.width == 256 ? ", max-age=31536000, immutable" : ", max-age=\(Self.checkpointMaxAge)"))
        }
        // The trust policies the ledger anchors, by digest: a monitor checks each entry's signer
        // against the policy in force, and entries name only the policy's digest.
        router.get("trust-policy/:sha256") { request, context -> Response in
            let token = try bearer(request)
            guard token.role.readsEntries else {
                throw HTTPError(.forbidden, message: "the token \"\(token.name)\" (\(token.role)) may not read trust policies; monitor and auditor tokens may")
            }
            guard let sha256 = context.parameters.get("sha256"), sha256.count == 64, sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
                  let bytes = try workspace.anchoredTrustPolicy(sha256: sha256) else {
                throw HTTPError(.notFound, message: "no trust policy with that SHA-256 is anchored in this ledger")
            }
            return Self.response(bytes, contentType: "application/json", cacheControl: "private, max-age=31536000, immutable")
        }
        // Rejects: an auditor reads every run's; a site reads those of the runs that ingested its
        // own submissions (a run of another site's data, or of plain files, is not its to read).
        router.get("v1/rejects") { request, _ -> Response in
            let site = try Self.siteScope(try bearer(request), reading: "rejects")
            var list: [JSONValue] = []
            var allowed: [Int64: Bool] = [:]
            for item in try workspace.rejects() {
                if let site {
                    if allowed[item.runID] == nil { allowed[item.runID] = try workspace.submissionSites(runID: item.runID).contains(site) }
                    guard allowed[item.runID] == true else { continue }
                }
                list.append(Self.json(item.reject, run: item.runID, stage: item.stage))
            }
            return Self.response(CanonicalJSON.encode(["rejects": .array(list)]) + [0x0a], contentType: "application/json", cacheControl: "private, no-store")
        }
        ExplorerRoutes.add(to: router, workspace: workspace, bearer: bearer)
        let submissions = self.submissions
        router.post("v1/submissions") { request, _ -> Response in
            let token = try bearer(request)
            guard let submissions else {
                throw HTTPError(.notFound, message: "this server does not accept submissions (the operator runs `trialchain serve --accept-submissions`)")
            }
            return try await submissions.handle(request, token: token)
        }
        return router
    }

    /// The token in force that the request's `Authorization: Bearer` header presents.
    /// - throws: 401 without a bearer token or with one not in force.
    static func bearer(_ request: Request, workspace: Workspace, session: String? = nil) throws -> AccessToken {
        let challenge = "Bearer realm=\"trialchain\""
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: challenge],
                            message: "entries name pseudonymous participants: send a bearer token (Authorization: Bearer …; `trialchain token create`)")
        }
        let presented = String(header.dropFirst(7))
        if let session, Self.sameBytes(presented, session) {
            return AccessToken(name: "this session", role: .auditor, sha256: "", created: "")
        }
        guard let token = try workspace.authorize(bearer: presented) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: challenge + ", error=\"invalid_token\""],
                            message: "the bearer token is not in force (revoked, or never created here)")
        }
        return token
    }

    /// What a token may read of the trial's data: every site (nil) for an auditor, its own site
    /// for a site token.
    /// - throws: 403 for a monitor token, which reads the log only.
    static func siteScope(_ token: AccessToken, reading what: String) throws -> String? {
        switch token.role {
        case .auditor: return nil
        case let .site(id): return id
        case .monitor: throw HTTPError(.forbidden, message: "a monitor token reads the log, not \(what); auditor and site tokens may")
        }
    }

    /// A reject as the JSON APIs give it: file, line (when there is one), field, reason; and its
    /// run and stage when listed across runs.
    static func json(_ reject: StageReject, run: Int64? = nil, stage: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["file": .string(reject.file), "field": .string(reject.field), "reason": .string(reject.reason)]
        if let line = reject.line { object["line"] = .integer(Int64(line)) }
        if let run { object["run"] = .integer(run) }
        if let stage { object["stage"] = .string(stage) }
        return .object(object)
    }

    /// Compares two secrets in time independent of where they differ.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
    /// - parameter listening: called once the server listens, with the port it bound (the one
    ///   asked for, or the one the system chose for port 0).
    public func run(hostname: String, port: Int, listening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(hostname, port: port), serverName: "trialchain"),
                              onServerRunning: { channel in listening(channel.localAddress?.port ?? port) })
        try await app.runService()
    }

    static func response(_ bytes: [UInt8], contentType: String, cacheControl: String) -> Response {
        Response(status: .ok,
                 headers: [.contentType: contentType, .cacheControl: cacheControl],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
