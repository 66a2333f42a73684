import Foundation
import Hummingbird
import Synchronization
import Testing
@testable import Witnessing

/// The HTTP client behind witnesses, monitors and submissions, against a real server on loopback:
/// exact multipart bytes streamed from files, a file that changes while it is sent, redirects that
/// would carry a bearer token elsewhere, oversized answers, deadlines and refused connections.
/// The server's handlers run on the same cooperative threads as the tests beside them, which can
/// hold them for a while on a busy 2-core machine: the requests that must be answered wait up to
/// two minutes (seen in CI: more than 30 s).
@Suite("HTTP transport")
struct HTTPTransportTests {
    /// What the server was asked, in order.
    final class Requests: Sendable {
        let seen = Mutex<[String]>([])
        func add(_ line: String) { seen.withLock { $0.append(line) } }
        var all: [String] { seen.withLock { $0 } }
    }

    /// A server on a port of loopback the system chose.
    func start(_ requests: Requests) async throws -> (String, Task<Void, Error>) {
        let router = Router()
        router.get("moved") { _, _ -> Response in
            requests.add("GET /moved")
            return Response(status: .found, headers: [.location: "/target"])
        }
        router.get("target") { request, _ -> String in
            requests.add("GET /target " + (request.headers[.authorization] ?? "no token"))
            return "you should not be here"
        }
        router.post("echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            requests.add("POST /echo \(request.headers[.contentLength] ?? "chunked")")
            return Response(status: .ok, body: .init(byteBuffer: body))
        }
        router.get("big") { _, _ -> Response in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 0x61, count: 300_000)))
        }
        router.get("slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(20))
            return "late"
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTransportError("the test server did not start") }
        return ("http://127.0.0.1:\(port)", task)
    }

    final class Folder: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-http-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    @Test func aMultipartUploadIsTheExactBytesOfEveryPartStreamedFromTheFiles() async throws {
        let requests = Requests()
        let (url, server) = try await start(requests)
        defer { server.cancel() }
        let folder = Folder()
        let envelope = folder.url.appendingPathComponent("submission.json")
        let file = folder.url.appendingPathComponent("site-101.csv")
        try Data("{\"payload\":\"x\"}".utf8).write(to: envelope)
        // Three and a half chunks of the reader's 1 MiB, bytes that are not text.
        let count: Int = (3 << 20) + 512 * 1024
        let content: [UInt8] = (0..<count).map { (i: Int) -> UInt8 in UInt8(truncatingIfNeeded: i &* 31 &+ (i >> 11)) }
        try Data(content).write(to: file)
        let body = try MultipartFileBody(boundary: "B0UND", files: [("envelope", nil, envelope), ("file", "site-101.csv", file)],
                                         fields: [("reason", "late forms")])
        var expected = Array("--B0UND\r\nContent-Disposition: form-data; name=\"envelope\"\r\nContent-Type: application/octet-stream\r\n\r\n{\"payload\":\"x\"}\r\n".utf8)
        expected += Array("--B0UND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"site-101.csv\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        expected += content
        expected += Array("\r\n--B0UND\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\nlate forms\r\n--B0UND--\r\n".utf8)
        #expect(body.length == Int64(expected.count))
        let answer = try await HTTPTransport.send(.POST, url + "/echo", body: .stream(body, length: .known(body.length)), timeout: 120, limit: 16 << 20)
        #expect(answer.status == 200)
        #expect(answer.body == expected)
        #expect(requests.all == ["POST /echo \(expected.count)"])
    }

    @Test func aFileThatChangesSizeWhileItIsSentFailsTheUpload() async throws {
        let requests = Requests()
        let (url, server) = try await start(requests)
        defer { server.cancel() }
        let folder = Folder()
        let file = folder.url.appendingPathComponent("site-101.csv")
        for change in ["grown", "shrunk"] {
            try Data(repeating: 0x31, count: 100_000).write(to: file)
            let body = try MultipartFileBody(boundary: "B", files: [("file", "site-101.csv", file)], fields: [])
            try Data(repeating: 0x31, count: change == "grown" ? 100_001 : 99_999).write(to: file)
            await #expect {
                _ = try await HTTPTransport.send(.POST, url + "/echo", body: .stream(body, length: .known(body.length)), timeout: 120, limit: 1 << 20)
            } throws: { error in
                "\(error)".contains("site-101.csv changed while it was being sent")
            }
        }
        #expect(requests.all.isEmpty, "a body of the wrong length reached the handler: \(requests.all)")
        // A name that cannot be written in the part's header is refused before anything is sent.
        let quoted = folder.url.appendingPathComponent("a\"b.csv")
        try Data("x".utf8).write(to: quoted)
        #expect(throws: HTTPTransportError.self) { try MultipartFileBody(boundary: "B", files: [("file", "a\"b.csv", quoted)], fields: []) }
        #expect(throws: HTTPTransportError.self) {
            try MultipartFileBody(boundary: "B", files: [("file", "gone.csv", folder.url.appendingPathComponent("gone.csv"))], fields: [])
        }
    }

    @Test func aRedirectIsNotFollowedSoABearerTokenStaysWithTheHostItWasGivenFor() async throws {
        let requests = Requests()
        let (url, server) = try await start(requests)
        defer { server.cancel() }
        let fetch = LogMonitor.http(prefix: url + "/", token: "tct_secret", timeout: 120)
        let (status, _) = try await fetch("moved")
        #expect(status == 302)
        #expect(requests.all == ["GET /moved"])
    }

    @Test func oversizedAnswersDeadlinesAndRefusedConnectionsAreErrorsThatSayWhich() async throws {
        let requests = Requests()
        let (url, server) = try await start(requests)
        defer { server.cancel() }
        let host = url.dropFirst("http://".count)
        await #expect { _ = try await HTTPTransport.send(.GET, url + "/big", timeout: 120, limit: 65_536) } throws: { error in
            "\(error)" == "\(host) answered with a body larger than 65536 bytes"
        }
        await #expect { _ = try await HTTPTransport.send(.GET, url + "/slow", timeout: 0.5, limit: 65_536) } throws: { error in
            // Which of the two fires first depends on how long the connection takes to set up.
            "\(error)" == "\(host) did not answer within 0.5 s" || "\(error)" == "no connection to \(host) within 0.5 s"
        }
        await #expect { _ = try await HTTPTransport.send(.GET, "http://127.0.0.1:1/checkpoint", timeout: 5, limit: 65_536) } throws: { error in
            "\(error)" == "cannot reach 127.0.0.1:1: Connection refused"
        }
        await #expect { _ = try await HTTPTransport.send(.GET, "ftp://127.0.0.1/checkpoint", timeout: 5, limit: 65_536) } throws: { error in
            "\(error)" == "ftp://127.0.0.1/checkpoint is not an http:// or https:// URL"
        }
    }
}
