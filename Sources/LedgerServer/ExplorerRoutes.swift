import Attestation
import Foundation
import Hummingbird
import Workspace

/// The audit explorer: static pages (package resources: HTML, CSS and JavaScript, no CDN) under a
/// strict Content-Security-Policy, and the read-only JSON they show. The page checks what it
/// shows itself (the checkpoint's signature against a key the user gives, the tree from the
/// tiles), so trusting the page does not mean trusting this server.
enum ExplorerRoutes {
    /// Nothing but this origin's own scripts, styles and requests; no framing, no forms elsewhere.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    static let files: [String: String] = [
        "": "text/html; charset=utf-8", "index.html": "text/html; charset=utf-8",
        "explorer.css": "text/css; charset=utf-8", "explorer.js": "text/javascript; charset=utf-8", "verify.js": "text/javascript; charset=utf-8",
    ]
    /// Entries per ledger page.
    static let pageSize = 100

    static func add(to router: Router<BasicRequestContext>, workspace: Workspace, bearer: @escaping @Sendable (Request) throws -> AccessToken) {
        // (`/explorer` and `/explorer/` are one route.)
        router.get("explorer") { _, _ in try page("index.html") }
        router.get("explorer/:file") { _, context in try page(context.parameters.get("file") ?? "") }

        // The trial at a glance: needs any token in force (stage names and signers are not public).
        router.get("v1/overview") { request, _ -> Response in
            _ = try bearer(request)
            let checkpoint = try workspace.read { try $0.checkpoint() }
            let runs = try workspace.stageRuns()
            var stages: [JSONValue] = []
            for run in runs {
                let summary = try workspace.entrySummaries(from: run.entryIndex, count: 1).first
                stages.append(["run": .integer(run.id), "stage": .string(run.stage), "kind": .string(run.kind), "entry": .integer(Int64(run.entryIndex)),
                               "records": .integer(Int64(run.recordCount)), "signer": summary?.signer.map(JSONValue.string) ?? .null,
                               "meaning": summary?.meaning.map(JSONValue.string) ?? .null, "signedAt": summary?.signedAt.map(JSONValue.string) ?? .null])
            }
            let witnesses: [JSONValue] = try workspace.witnesses().map { witness in
                ["name": .string(witness.key.name), "lastCosigned": (try workspace.lastCosignedSize(by: witness.key)).map { .integer(Int64($0)) } ?? .null]
            }
            return json(["trial": .string(workspace.trialID), "origin": .string(workspace.origin), "size": .integer(Int64(checkpoint.size)),
                         "signedAt": .string(checkpoint.signedAt), "stages": .array(stages), "witnesses": .array(witnesses)])
        }

        // Every entry decoded, a page at a time: monitor and auditor tokens (entries name participants).
        router.get("v1/entries") { request, _ -> Response in
            let token = try bearer(request)
            guard token.role.readsEntries else {
                throw HTTPError(.forbidden, message: "the token \"\(token.name)\" (\(token.role)) may not read ledger entries; monitor and auditor tokens may")
            }
            let size = try workspace.read { try $0.checkpoint() }.size
            let pages = max(1, (size + UInt64(pageSize) - 1) / UInt64(pageSize))
            let asked = request.uri.queryParameters.get("page") ?? "1"
            guard let page = UInt64(asked), page >= 1, page <= pages else {
                throw HTTPError(.badRequest, message: "page \(asked.prefix(40)) does not exist: the ledger has \(pages) page(s) of \(pageSize) entries")
            }
            let summaries = try workspace.entrySummaries(from: (page - 1) * UInt64(pageSize), count: pageSize)
            return json(["page": .integer(Int64(page)), "pages": .integer(Int64(pages)), "size": .integer(Int64(size)),
                         "entries": .array(summaries.map { entry in
                             ["index": .integer(Int64(entry.index)), "leafHash": .string(entry.leafHash.hex), "kind": .string(entry.kind),
                              "signer": entry.signer.map(JSONValue.string) ?? .null, "meaning": entry.meaning.map(JSONValue.string) ?? .null,
                              "signedAt": entry.signedAt.map(JSONValue.string) ?? .null, "subjectCount": .integer(Int64(entry.subjectCount)),
                              "materialCount": .integer(Int64(entry.materialCount)), "bytes": .integer(Int64(entry.byteCount)),
                              "subjects": .array(entry.subjects.map { ["name": .string($0.name), "sha256": .string($0.sha256)] })]
                         })])
        }
    }

    static func page(_ name: String) throws -> Response {
        let file = name.isEmpty ? "index.html" : name
        guard let type = files[file], let url = Bundle.module.url(forResource: "Explorer/\(file)", withExtension: nil),
              let data = FileManager.default.contents(atPath: url.path) else {
            throw HTTPError(.notFound, message: "no such page")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: contentSecurityPolicy,
                                               .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "private, no-store", .init("X-Content-Type-Options")!: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value))))
    }
}
