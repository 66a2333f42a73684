import Foundation

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
    /// - throws: `HTTPTransportError` when the witness cannot be reached, does not answer in time,
    ///   or answers with a body longer than a cosignature answer can be.
    public func addCheckpoint(_ request: AddCheckpointRequest, prefix: String) async throws -> WitnessResponse {
        let answer = try await HTTPTransport.send(.POST, prefix + "/add-checkpoint", headers: [("Content-Type", "text/plain; charset=utf-8")],
                                                  body: .bytes(request.body), timeout: timeout, limit: AddCheckpointRequest.maximumBodyBytes)
        return WitnessResponse(status: answer.status, contentType: answer.contentType, body: answer.body)
    }
}

extension LogMonitor {
    /// The largest answer a monitor reads: a full entry bundle of 256 entries of at most 64 KiB.
    static let maximumAnswerBytes = 256 * (2 + 65_535)

    /// Reads a log over HTTP(S) under `prefix`, with a bearer token when given (entries need one).
    public static func http(prefix: String, token: String?, timeout: TimeInterval = 30) -> Fetch {
        let base = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return { path in
            let answer = try await HTTPTransport.send(.GET, base + "/" + path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [],
                                                      timeout: timeout, limit: maximumAnswerBytes)
            return (answer.status, answer.body)
        }
    }
}
