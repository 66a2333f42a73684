import Foundation
import MerkleLog

/// Reads a consent register: a CSV file an EDC (REDCap, say) can export, with one row per signed
/// consent form, as an alternative to FHIR Consent JSON. Each row becomes the same consent a
/// FHIR resource would, and is checked the same way by the consents stage.
///
/// Columns (header row required, in any order; others are refused):
/// - `participant`: the participant's id;
/// - `form_version`: the consent form version, which the protocol must approve;
/// - `signed_at`: when it was signed (ISO 8601 with a time zone); consent starts then;
/// - `withdrawn_at` (optional, may be blank): when the participant withdrew (ends the consent);
/// - `document`: the signed document, a path relative to the register's folder;
/// - `document_sha256` (optional, may be blank): the document's SHA-256 in hex, checked.
public struct ConsentRegisterReader: Sendable {
    public static let required = ["participant", "form_version", "signed_at", "document"]
    public static let optional = ["withdrawn_at", "document_sha256"]

    public init() {}

    /// Reads one register.
    /// - returns: consents and rejected rows (with line, column and reason).
    /// - throws: `ConsentError.unreadable` for a file that is not a register (no header, unknown
    ///   or missing columns); `CSVError` for a file that is not valid CSV.
    public func read(url: URL, displayName: String) throws -> (consents: [ConsentRecord], rejects: [ConsentReject]) {
        var columns: [String: Int] = [:]
        var consents: [ConsentRecord] = []
        var rejects: [ConsentReject] = []
        let folder = url.deletingLastPathComponent()
        try CSVReader(url: url, displayName: displayName).forEachRecord { record in
            if columns.isEmpty {
                let names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                for (index, name) in names.enumerated() {
                    guard Self.required.contains(name) || Self.optional.contains(name) else {
                        throw ConsentError.unreadable(file: displayName, reason: "line \(record.line): unknown column \"\(name)\"; a consent register has \((Self.required + Self.optional).joined(separator: ", "))")
                    }
                    guard columns[name] == nil else { throw ConsentError.unreadable(file: displayName, reason: "line \(record.line): column \"\(name)\" appears twice") }
                    columns[name] = index
                }
                if let missing = Self.required.first(where: { columns[$0] == nil }) {
                    throw ConsentError.unreadable(file: displayName, reason: "line \(record.line): no column \"\(missing)\"; a consent register needs \(Self.required.joined(separator: ", "))")
                }
                return
            }
            switch parse(record, columns, file: displayName, folder: folder) {
            case let .success(consent): consents.append(consent)
            case let .failure(reject): rejects.append(reject)
            }
        }
        guard !columns.isEmpty else { throw ConsentError.unreadable(file: displayName, reason: "empty: a consent register starts with a header row") }
        return (consents, rejects)
    }

    private func parse(_ record: CSVRecord, _ columns: [String: Int], file: String, folder: URL) -> Result<ConsentRecord, ConsentReject> {
        func reject(_ field: String, _ reason: String) -> Result<ConsentRecord, ConsentReject> {
            var rejected = ConsentReject(file: file, entry: nil, field: field, reason: reason)
            rejected.line = record.line
            return .failure(rejected)
        }
        guard record.fields.count == columns.count else {
            return reject("(row)", "expected \(columns.count) fields as in the header, found \(record.fields.count)")
        }
        func value(_ name: String) -> String? {
            columns[name].map { record.fields[$0].trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let participant = value("participant") else { return reject("participant", "empty: the participant's id is required") }
        guard let version = value("form_version") else { return reject("form_version", "empty: the consent form version is required") }
        guard let signedText = value("signed_at") else { return reject("signed_at", "empty: when the form was signed is required") }
        guard let signed = TrialTime(signedText) else { return reject("signed_at", "\"\(signedText)\" is not an ISO 8601 date-time with a time zone") }
        var end: TrialTime?
        if let text = value("withdrawn_at") {
            guard let parsed = TrialTime(text) else { return reject("withdrawn_at", "\"\(text)\" is not an ISO 8601 date-time with a time zone") }
            guard parsed >= signed else { return reject("withdrawn_at", "the withdrawal (\(parsed)) is before the signature (\(signed))") }
            end = parsed
        }
        guard let document = value("document") else { return reject("document", "empty: the signed document must be named") }
        guard !document.contains("://"), !document.hasPrefix("/"), !document.split(separator: "/").contains("..") else {
            return reject("document", "must be a path relative to the register, inside its folder: \(document)")
        }
        var sha256: [UInt8]?
        if let hex = value("document_sha256") {
            guard hex.count == 64, let bytes = Hex.decode(hex) else { return reject("document_sha256", "expected 64 hex digits, found \(hex)") }
            sha256 = bytes
        }
        var consent = ConsentRecord(participant: participant, formVersion: version, status: "active", signedAt: signed, periodStart: signed,
                                    periodEnd: end, documentPath: folder.appendingPathComponent(document).path, documentSHA1: nil,
                                    resourceID: "register-line-\(record.line)", file: file, entry: nil)
        consent.documentSHA256 = sha256
        consent.line = record.line
        return .success(consent)
    }
}
