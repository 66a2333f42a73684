import Foundation
import Hummingbird

/// One line per request: UTC time, method, path (the query is dropped: nothing secret is ever
/// logged from a URL), status, response bytes when known, and milliseconds. Headers are never
/// logged, so neither is a bearer token.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func line(_ status: Int, _ bytes: Int?) -> String {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            return "\(Date().ISO8601Format()) \(request.method.rawValue) \(request.uri.path) \(status) \(bytes.map(String.init) ?? "-") \(String(format: "%.1f", ms))ms"
        }
        do {
            let response = try await next(request, context)
            log(line(response.status.code, response.body.contentLength))
            return response
        } catch let error as HTTPResponseError {
            log(line(error.status.code, nil))
            throw error
        } catch {
            log(line(500, nil))
            throw error
        }
    }
}
