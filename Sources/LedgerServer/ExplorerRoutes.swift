import Attestation
import Audit
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

        addRunRoutes(to: router, workspace: workspace, bearer: bearer)

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

    /// A stage run: its records (searchable, a page at a time) and its rejects. An auditor reads
    /// every run; a site only its own site's records, and the rejects of runs of its submissions.
    static func addRunRoutes(to router: Router<BasicRequestContext>, workspace: Workspace, bearer: @escaping @Sendable (Request) throws -> AccessToken) {
        router.get("v1/runs/:id") { request, context -> Response in
            let site = try LedgerServer.siteScope(try bearer(request), reading: "records")
            guard let text = context.parameters.get("id"), let id = Int64(text), let run = try workspace.stageRun(id: id) else {
                throw HTTPError(.notFound, message: "no stage run with that number")
            }
            let query = request.uri.queryParameters
            func field(_ name: String) throws -> String? {
                guard let value = query.get(name), !value.isEmpty else { return nil }
                guard value.count <= 200 else { throw HTTPError(.badRequest, message: "\(name) is longer than 200 characters") }
                return value
            }
            let asked = query.get("page") ?? "1"
            guard let page = Int(asked), page >= 1, page <= 10_000_000 else { throw HTTPError(.badRequest, message: "page \(asked.prefix(40)) is not a page number") }
            let found = try workspace.searchRecords(RecordQuery(run: id, participant: try field("participant"), visit: try field("visit"), item: try field("item"),
                                                                site: site, offset: (page - 1) * pageSize, limit: pageSize))
            let pages = max(1, (found.total + pageSize - 1) / pageSize)
            guard page <= pages else { throw HTTPError(.badRequest, message: "page \(page) does not exist: \(found.total) records match, \(pages) page(s)") }
            let ownRejects = try site.map { try workspace.submissionSites(runID: id).contains($0) } ?? true
            let rejects = ownRejects ? try workspace.rejects(runID: id).prefix(1000).map { LedgerServer.json($0.reject) } : []
            return json([
                "run": ["id": .integer(run.id), "stage": .string(run.stage), "kind": .string(run.kind), "entry": .integer(Int64(run.entryIndex)),
                        "records": .integer(Int64(run.recordCount)), "recordRoot": .string(run.recordRoot.hex)],
                "scope": site.map { .string("site \($0)") } ?? "all sites",
                "total": .integer(Int64(found.total)), "page": .integer(Int64(page)), "pages": .integer(Int64(pages)),
                "records": .array(found.records.map { record in
                    ["id": .integer(record.id), "participant": .string(record.participant), "site": record.site.map(JSONValue.string) ?? .null,
                     "visit": record.visit.map(JSONValue.string) ?? .null, "item": record.item.map(JSONValue.string) ?? .null,
                     "value": record.value.map(JSONValue.string) ?? .null, "observedAt": record.observedAt.map(JSONValue.string) ?? .null,
                     "leafHash": .string(record.leafHash.hex)]
                }),
                "rejects": .array(Array(rejects)),
            ])
        }

        // A participant: consents, records, payout lines with their evidence, adherence. A site
        // reads its own participants only.
        router.get("v1/participants/:id") { request, context -> Response in
            let scope = try LedgerServer.siteScope(try bearer(request), reading: "participants")
            guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 100 else { throw HTTPError(.notFound, message: "no such participant") }
            let records = try workspace.records(participant: id, limit: 20_000)
            guard !records.isEmpty else { throw HTTPError(.notFound, message: "no participant \(id.prefix(100)) in this trial") }
            let sites = Set(records.compactMap(\.site))
            if let own = scope, !sites.contains(own) {
                throw HTTPError(.forbidden, message: "participant \(id.prefix(100)) is not of site \(own)")
            }
            var consents: [JSONValue] = [], measurements: [JSONValue] = []
            for record in records {
                if record.artifact.hasPrefix("consents/") {
                    let content = record.canonical.flatMap { try? JSONValue.parse($0) }?["record"]
                    consents.append(["record": .integer(record.id), "formVersion": content?["formVersion"] ?? .null, "status": content?["status"] ?? .null,
                                     "signedAt": content?["signedAt"] ?? .null, "periodStart": content?["periodStart"] ?? .null,
                                     "periodEnd": content?["periodEnd"] ?? .null, "document": content?["document"]?["sha256"] ?? .null])
                } else {
                    measurements.append(["id": .integer(record.id), "run": .integer(record.runID), "visit": record.visit.map(JSONValue.string) ?? .null,
                                         "item": record.item.map(JSONValue.string) ?? .null, "value": record.value.map(JSONValue.string) ?? .null,
                                         "observedAt": record.observedAt.map(JSONValue.string) ?? .null, "leafHash": .string(record.leafHash.hex)])
                }
            }
            // Each output is read as a stream (one participant at a time), keeping only this one's entry.
            func lines(_ prefix: String) throws -> [JSONValue] {
                try workspace.latestArtifacts(prefix: prefix).compactMap { version -> JSONValue? in
                    var found: JSONValue?, totals: JSONValue?
                    guard (try? workspace.streamArtifact(version, streaming: "participants", member: { if $0 == "totals" { totals = $1 } },
                                                         element: { if found == nil, $0["participant"]?.stringValue == id { found = $0 } })) != nil,
                          let entry = found else { return nil }
                    let minor = totals?.arrayValue?.first(where: { $0["currency"] == entry["currency"] })?["minorUnits"] ?? .null
                    return ["output": .string(version.name), "version": .integer(Int64(version.version)), "sha256": .string(version.sha256),
                            "minorUnits": minor, "participant": entry]
                }
            }
            return json(["participant": .string(id), "sites": .array(sites.sorted().map(JSONValue.string)), "consents": .array(consents),
                         "records": .array(measurements), "payouts": .array(try lines("payouts/")), "adherence": .array(try lines("adherence/"))])
        }

        // A record's proof (`prove record`), for the page to check from the leaf to the checkpoint.
        router.get("v1/records/:id/proof") { request, context -> Response in
            let scope = try LedgerServer.siteScope(try bearer(request), reading: "records")
            guard let text = context.parameters.get("id"), let id = Int64(text), let record = try workspace.record(id: id) else {
                throw HTTPError(.notFound, message: "no record with that number")
            }
            if let own = scope, record.site != own {
                throw HTTPError(.forbidden, message: "record \(id) is not of site \(own)")
            }
            let proof = try RecordProver(workspace: workspace).prove(record)
            return json(proof.json)
        }

        // The anchored reports (latest versions) and their bytes by digest: auditor tokens.
        router.get("v1/reports") { request, _ -> Response in
            let token = try bearer(request)
            guard token.role == .auditor else { throw HTTPError(.forbidden, message: "reports cover every site: auditor tokens may read them") }
            let versions = try workspace.latestArtifacts(prefix: "reports/")
            return json(["reports": .array(versions.map { ["name": .string($0.name), "version": .integer(Int64($0.version)), "sha256": .string($0.sha256)] })])
        }
        router.get("v1/reports/:sha256") { request, context -> Response in
            let token = try bearer(request)
            guard token.role == .auditor else { throw HTTPError(.forbidden, message: "reports cover every site: auditor tokens may read them") }
            let digest = context.parameters.get("sha256") ?? ""
            guard let version = try workspace.latestArtifacts(prefix: "reports/").first(where: { $0.sha256 == digest }) else {
                throw HTTPError(.notFound, message: "no anchored report with that SHA-256")
            }
            let type = version.name.hasSuffix(".html") ? "text/html; charset=utf-8" : version.name.hasSuffix(".csv") ? "text/csv; charset=utf-8" : "application/json"
            // A report is shown as a document: no script runs in it, whatever it holds.
            return Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=31536000, immutable",
                                                   .contentSecurityPolicy: "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                                                   .init("X-Content-Type-Options")!: "nosniff"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try workspace.artifactBytes(version))))
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
