import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends a signed submission and its files to a server's `POST /v1/submissions`, as
/// multipart/form-data streamed from a temporary file (the files are never held in memory).
public struct SubmissionClient: Sendable {
    public let timeout: TimeInterval

    public init(timeout: TimeInterval = 600) { self.timeout = timeout }

    /// - returns: the HTTP status and the body (JSON on success, a message otherwise).
    /// - throws: the transport's error when the server cannot be reached.
    public func send(envelope: URL, files: [URL], reason: String?, server: String, token: String) async throws -> (status: Int, body: String) {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let url = URL(string: base + "/v1/submissions") else { throw URLError(.badURL) }
        let boundary = "trialchain-" + UUID().uuidString
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-submit-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: body) }
        _ = FileManager.default.createFile(atPath: body.path, contents: nil)
        let out = try FileHandle(forWritingTo: body)
        func write(_ text: String) { out.write(Data(text.utf8)) }
        func part(name: String, filename: String?, from file: URL) throws {
            write("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
                  + "\r\nContent-Type: application/octet-stream\r\n\r\n")
            let input = try FileHandle(forReadingFrom: file)
            defer { try? input.close() }
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { out.write(chunk) }
            write("\r\n")
        }
        try part(name: "envelope", filename: nil, from: envelope)
        for file in files { try part(name: "file", filename: file.lastPathComponent, from: file) }
        if let reason { write("--\(boundary)\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\n\(reason)\r\n") }
        write("--\(boundary)--\r\n")
        try out.close()
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.upload(for: request, fromFile: body)
        guard let response = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return (response.statusCode, String(decoding: data, as: UTF8.self))
    }
}
