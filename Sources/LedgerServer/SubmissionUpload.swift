import Foundation
import Hummingbird
import MultipartKit

/// A `multipart/form-data` submission upload, streamed to a private folder part by part, so a
/// large upload never sits in memory: `envelope` (the signed submission), one `file` part per
/// measurement file (its `filename` is the name the submission signs), and an optional `reason`.
struct SubmissionUpload {
    /// Limits on what a site may upload in one request.
    struct Limits: Sendable {
        var totalBytes: Int
        var envelopeBytes = 64 * 1024
        var files = 64
    }

    let folder: URL
    private(set) var envelope: URL?
    private(set) var files: [URL] = []
    private(set) var reason: String?

    /// Reads the request body into `folder` (created here; the caller removes it).
    /// - throws: `HTTPError` 400 for a malformed upload, 413 past a limit, 415 for another content type.
    static func receive(_ request: Request, into folder: URL, limits: Limits) async throws -> SubmissionUpload {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(type) else {
            throw HTTPError(.unsupportedMediaType, message: "send multipart/form-data with an envelope part and one file part per measurement file")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var upload = SubmissionUpload(folder: folder)
        let parser = MultipartParser(boundary: boundary)
        var headers: [String: String] = [:]
        var current: (kind: String, handle: FileHandle?, bytes: Int, text: [UInt8])?
        var failure: HTTPError?
        var total = 0
        func fail(_ status: HTTPResponse.Status, _ message: String) { if failure == nil { failure = HTTPError(status, message: message) } }
        parser.onHeader = { name, value in headers[name.lowercased()] = value }
        parser.onBody = { buffer in
            guard failure == nil else { return }
            if current == nil {
                let disposition = headers["content-disposition"] ?? ""
                let name = Self.parameter("name", in: disposition)
                switch name {
                case "envelope":
                    guard upload.envelope == nil else { return fail(.badRequest, "two envelope parts") }
                    let url = folder.appendingPathComponent(".envelope.json")
                    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                    upload.envelope = url
                    current = ("envelope", FileHandle(forWritingAtPath: url.path), 0, [])
                case "file":
                    guard let filename = Self.parameter("filename", in: disposition), Self.isPlainName(filename) else {
                        return fail(.badRequest, "a file part needs a filename that is a plain file name (no folders, no control characters)")
                    }
                    let url = folder.appendingPathComponent(filename)
                    guard !FileManager.default.fileExists(atPath: url.path) else { return fail(.badRequest, "two file parts named \(filename)") }
                    guard upload.files.count < limits.files else { return fail(.contentTooLarge, "more than \(limits.files) files in one submission") }
                    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                    upload.files.append(url)
                    current = ("file", FileHandle(forWritingAtPath: url.path), 0, [])
                case "reason":
                    current = ("reason", nil, 0, [])
                default:
                    return fail(.badRequest, "unexpected part \(name ?? "without a name"): expected envelope, file or reason")
                }
            }
            let count = buffer.readableBytes
            total += count
            current!.bytes += count
            guard total <= limits.totalBytes else { return fail(.contentTooLarge, "the upload is larger than \(limits.totalBytes) bytes") }
            switch current!.kind {
            case "envelope" where current!.bytes > limits.envelopeBytes:
                return fail(.contentTooLarge, "the envelope is larger than \(limits.envelopeBytes) bytes")
            case "reason":
                guard current!.bytes <= 1000 else { return fail(.contentTooLarge, "the reason is longer than 1000 bytes") }
                current!.text += buffer.readableBytesView
            default:
                current!.handle?.write(Data(buffer.readableBytesView))
            }
        }
        parser.onPartComplete = {
            if let part = current {
                try? part.handle?.close()
                if part.kind == "reason" { upload.reason = String(decoding: part.text, as: UTF8.self) }
            } else if failure == nil, let disposition = headers["content-disposition"], Self.parameter("name", in: disposition) == "file",
                      let filename = Self.parameter("filename", in: disposition), Self.isPlainName(filename) {
                // An empty file part: an empty file (the submission's digest decides).
                _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(filename).path, contents: nil)
                upload.files.append(folder.appendingPathComponent(filename))
            }
            current = nil
            headers = [:]
        }
        do {
            for try await buffer in request.body {
                try parser.execute(buffer)
                if let failure { throw failure }
            }
        } catch let error as HTTPError {
            try? current?.handle?.close()
            throw error
        } catch {
            try? current?.handle?.close()
            throw HTTPError(.badRequest, message: "the multipart body cannot be read: \(error)")
        }
        if let failure { throw failure }
        guard upload.envelope != nil, !upload.files.isEmpty else {
            throw HTTPError(.badRequest, message: "a submission needs an envelope part and at least one file part")
        }
        return upload
    }

    static func boundary(_ contentType: String) -> String? {
        guard let value = parameter("boundary", in: contentType), !value.isEmpty, value.count <= 70 else { return nil }
        return value
    }

    /// A `name=value` or `name="value"` parameter of a header value.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.contains("/") && !name.contains("\\") && name != "." && name != ".."
            && !name.hasPrefix(".") && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
