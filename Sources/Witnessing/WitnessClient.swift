import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a witness answered over HTTP.
public struct WitnessResponse: Sendable {
    public let status: Int
    public let contentType: String?
    public let body: [UInt8]
}

/// Sends c2sp.org/tlog-witness requests over HTTP(S).
public struct WitnessClient: Sendable {
    /// Seconds before a witness that does not answer counts as unreachable.
    public let timeout: TimeInterval

    public init(timeout: TimeInterval = 10) { self.timeout = timeout }

    /// Posts one `add-checkpoint` request to `<prefix>/add-checkpoint`.
    /// - throws: the transport's error when the witness cannot be reached or does not answer in time.
    public func addCheckpoint(_ request: AddCheckpointRequest, prefix: String) async throws -> WitnessResponse {
        guard let url = URL(string: prefix + "/add-checkpoint") else { throw URLError(.badURL) }
        var http = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        http.httpMethod = "POST"
        http.httpBody = Data(request.body)
        http.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: http)
        guard let response = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return WitnessResponse(status: response.statusCode, contentType: response.value(forHTTPHeaderField: "Content-Type"),
                               body: Array(data.prefix(AddCheckpointRequest.maximumBodyBytes)))
    }
}

extension LogMonitor {
    /// Reads a log over HTTP(S) under `prefix`, with a bearer token when given (entries need one).
    public static func http(prefix: String, token: String?, timeout: TimeInterval = 30) -> Fetch {
        let base = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return { path in
            guard let url = URL(string: base + "/" + path) else { throw URLError(.badURL) }
            var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = timeout
            let session = URLSession(configuration: configuration)
            defer { session.finishTasksAndInvalidate() }
            let (data, response) = try await session.data(for: request)
            guard let response = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
            return (response.statusCode, Array(data))
        }
    }
}
