import Attestation
import Foundation
import Hummingbird
import Ingest
import Witnessing
import Workspace

/// `POST /v1/submissions`: a site sends its signed submission and the files it names; the server
/// ingests it as a measurement stage (one at a time) and answers with the outcome and the rejects.
/// Authenticated twice: the bearer token must be of role `site:<id>`, and the envelope must be
/// signed by a key the trust policy allows to submit for that same site.
struct SubmissionEndpoint: Sendable {
    let workspace: Workspace
    let limits: SubmissionUpload.Limits
    let writer: SerialWriter
    let cosigner: CosignatureRunner

    func handle(_ request: Request, token: AccessToken) async throws -> Response {
        guard case let .site(site) = token.role else {
            throw HTTPError(.forbidden, message: "the token \"\(token.name)\" (\(token.role)) may not submit; a site:<id> token may, for its site")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-upload-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let upload = try await SubmissionUpload.receive(request, into: folder, limits: limits)
        let submission: Submission, files: [InputFile]
        do {
            (submission, files) = try Submission.load(at: upload.envelope!, name: "the submission")
        } catch let error as SubmissionError {
            if case .malformed = error { throw HTTPError(.badRequest, message: "\(error)") }
            throw HTTPError(.unprocessableContent, message: "\(error)")
        } catch {
            throw HTTPError(.unprocessableContent, message: "\(error)")
        }
        guard submission.site == site else {
            throw HTTPError(.forbidden, message: "the token is for site \(site); the submission is for site \(submission.site)")
        }
        let named = Set(submission.files.map(\.name))
        if let extra = upload.files.first(where: { !named.contains($0.lastPathComponent) }) {
            throw HTTPError(.badRequest, message: "the upload holds \(extra.lastPathComponent), which the submission does not name")
        }
        var ingest = IngestOptions(reason: upload.reason)
        ingest.submissions = [submission]
        let (options, workspace) = (ingest, self.workspace)
        let outcome: StageOutcome
        do {
            outcome = try await writer.run { try Ingestor(workspace: workspace).ingestMeasurements(files, options: options) }
        } catch {
            let (status, message) = Self.status(for: error)
            throw HTTPError(status, message: message)
        }
        var answer: [String: JSONValue] = ["site": .string(site)]
        switch outcome {
        case let .unchanged(entry):
            answer["outcome"] = "unchanged"
            answer["entry"] = .integer(Int64(entry))
        case let .committed(receipt):
            answer["outcome"] = "committed"
            answer["run"] = .integer(receipt.runID)
            answer["entry"] = .integer(Int64(receipt.entryIndex))
            answer["checkpointSize"] = .integer(Int64(receipt.ledgerSize))
            answer["records"] = .integer(Int64(receipt.recordCount))
            answer["rejected"] = .integer(Int64(receipt.rejectCount))
            let rejects = try workspace.rejects(runID: receipt.runID).prefix(1000)
            answer["rejects"] = .array(rejects.map { LedgerServer.json($0.reject) })
            await cosigner.request()
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(.object(answer)) + [0x0a])))
    }

    /// The status a failed ingest answers with: 403 for a key not allowed for the site, 409 for a
    /// correction without a reason, 422 for anything else about the submission or its files.
    static func status(for error: Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as SubmissionError:
            if case .notAllowed = error { return (.forbidden, "\(error)") }
            return (.unprocessableContent, "\(error)")
        case let error as StageError:
            switch error {
            case .needsReason, .correctionsNeedReason, .wouldRevert:
                return (.conflict, "\(error) (send a reason part with the submission)")
            default: return (.unprocessableContent, "\(error)")
            }
        case let error as WorkspaceError:
            if case .storage = error { return (.internalServerError, "the workspace could not store the submission; nothing was written") }
            return (.unprocessableContent, "\(error)")
        case let error as CustomStringConvertible:
            return (.unprocessableContent, error.description)
        default:
            return (.internalServerError, "the submission could not be ingested; nothing was written")
        }
    }
}

/// Runs blocking writes one at a time, off the server's threads: one writer per workspace.
final class SerialWriter: Sendable {
    private let queue = DispatchQueue(label: "trialchain.submissions.writer")

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// Sends the latest checkpoint to the configured witnesses after submissions, one round at a
/// time: requests that arrive during a round make one more round, not one each.
actor CosignatureRunner {
    let workspace: Workspace
    private var running = false
    private var again = false

    init(workspace: Workspace) { self.workspace = workspace }

    func request() {
        guard !running else { again = true; return }
        running = true
        Task { await self.loop() }
    }

    private func loop() async {
        repeat {
            again = false
            _ = try? await CosignatureCollector(workspace: workspace).collect()
        } while again
        running = false
    }
}
