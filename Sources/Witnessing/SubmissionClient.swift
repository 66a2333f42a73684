import Foundation

/// Sends a signed submission and its files to a server's `POST /v1/submissions`, as
/// multipart/form-data streamed from the files (they are never held in memory).
public struct SubmissionClient: Sendable {
    /// Seconds for the whole upload and its answer.
    public let timeout: TimeInterval

    public init(timeout: TimeInterval = 600) { self.timeout = timeout }

    /// - returns: the HTTP status and the body (JSON on success, a message otherwise).
    /// - throws: `HTTPTransportError` when a file cannot be read or the server cannot be reached.
    public func send(envelope: URL, files: [URL], reason: String?, server: String, token: String) async throws -> (status: Int, body: String) {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let boundary = "trialchain-" + UUID().uuidString
        let body = try MultipartFileBody(boundary: boundary,
                                         files: [(name: "envelope", filename: nil, file: envelope)] + files.map { (name: "file", filename: $0.lastPathComponent, file: $0) },
                                         fields: reason.map { [(name: "reason", value: $0)] } ?? [])
        let answer = try await HTTPTransport.send(.POST, base + "/v1/submissions",
                                                  headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)"), ("Authorization", "Bearer \(token)")],
                                                  body: .stream(body, length: .known(body.length)), timeout: timeout, limit: 1 << 20)
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }
}
