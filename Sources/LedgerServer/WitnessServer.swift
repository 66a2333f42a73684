import Foundation
import Hummingbird
import Witnessing

/// The c2sp.org/tlog-witness HTTP API of a witness: `POST /add-checkpoint`.
public struct WitnessServer: Sendable {
    let service: WitnessService
    let accessLog: @Sendable (String) -> Void

    /// - parameter accessLog: receives one line per request (method, path, status, bytes, ms).
    public init(service: WitnessService, accessLog: @escaping @Sendable (String) -> Void) {
        self.service = service
        self.accessLog = accessLog
    }

    /// The route, with the access log around it.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessLogMiddleware(log: accessLog))
        let service = self.service
        router.post("add-checkpoint") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: AddCheckpointRequest.maximumBodyBytes)
            let answer = await service.addCheckpoint(body: Array(buffer.readableBytesView))
            return Response(status: HTTPResponse.Status(code: answer.status),
                            headers: [.contentType: answer.contentType, .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        return router
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
    public func run(hostname: String, port: Int, listening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(hostname, port: port), serverName: "trialchain-witness"),
                              onServerRunning: { channel in listening(channel.localAddress?.port ?? port) })
        try await app.runService()
    }
}
