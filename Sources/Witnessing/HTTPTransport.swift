import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What an HTTP peer answered: the status, the `Content-Type` and the body (at most the limit asked).
public struct HTTPAnswer: Sendable {
    public let status: Int
    public let contentType: String?
    public let body: [UInt8]
}

/// Why an HTTP request got no answer, in words a coordinator can act on.
public struct HTTPTransportError: LocalizedError, CustomStringConvertible, Sendable {
    public let description: String
    public var errorDescription: String? { description }
    init(_ description: String) { self.description = description }
}

/// The one HTTP client of the witness client, the monitor and site submissions (AsyncHTTPClient,
/// SwiftNIO): one client per request, redirects never followed (a bearer token must not follow a
/// redirect to another host, and a witness or a log that moved must be reconfigured, not guessed),
/// and a deadline for the whole exchange, body included.
enum HTTPTransport {
    /// Sends one request and reads at most `limit` bytes of the answer's body.
    /// - throws: `HTTPTransportError` when the URL is unusable, the peer cannot be reached, the
    ///   deadline passes, or the body is longer than `limit`.
    static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
                     timeout: TimeInterval, limit: Int) async throws -> HTTPAnswer {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host?.isEmpty == false else {
            throw HTTPTransportError("\(url) is not an http:// or https:// URL")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = body
        let seconds = TimeAmount.milliseconds(Int64((timeout * 1000).rounded()))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: min(seconds, .seconds(10)), read: seconds)))
        do {
            let response = try await client.execute(request, timeout: seconds)
            let bytes = try await response.body.collect(upTo: limit)
            try? await client.shutdown()
            return HTTPAnswer(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                              body: Array(bytes.readableBytesView))
        } catch {
            try? await client.shutdown()
            throw HTTPTransportError(describe(error, url: parsed, timeout: timeout, limit: limit))
        }
    }

    /// A transport error in words: what failed, against which host.
    static func describe(_ error: any Error, url: URL, timeout: TimeInterval, limit: Int) -> String {
        let host = url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } ?? url.absoluteString
        func seconds(_ value: TimeInterval) -> String { value.rounded() == value ? "\(Int(value))" : "\(value)" }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "no connection to \(host) within \(seconds(min(timeout, 10))) s"
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "\(host) did not answer within \(seconds(timeout)) s"
            case .remoteConnectionClosed: return "\(host) closed the connection before answering"
            case .invalidURL, .emptyHost, .emptyScheme: return "\(url.absoluteString) is not a usable URL"
            default: return "\(host): \(error)"
            }
        }
        if error is NIOTooManyBytesError { return "\(host) answered with a body larger than \(limit) bytes" }
        if let error = error as? IOError { return "cannot reach \(host): \(String(cString: strerror(error.errnoCode)))" }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                let why = (first.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(first.error)"
                return "cannot reach \(host): \(why)"
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot reach \(host): its name does not resolve" }
            return "cannot reach \(host)"
        }
        if let error = error as? NIOSSLError {
            guard case let .handshakeFailed(reason) = error else { return "TLS with \(host) failed: \(error)" }
            let text = "\(reason)"
            let code = text.range(of: #"OPENSSL_internal:[A-Z_]+"#, options: .regularExpression).map { String(text[$0].dropFirst("OPENSSL_internal:".count)) } ?? text
            return "the TLS handshake with \(host) failed (\(code)): check that it serves https, with a certificate this machine trusts"
        }
        return "\(host): \(error)"
    }
}
