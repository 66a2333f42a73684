import Foundation

/// Reads FHIR R4 `Consent` resources (JSON), one per file or in a `Bundle`.
///
/// What TrialChain reads from a Consent:
/// - `patient` (`reference` "Patient/<id>" or `identifier.value`): the participant;
/// - the extension `https://trialchain.dev/fhir/StructureDefinition/consent-form-version`
///   (`valueString`): the consent form version, which the protocol must approve;
/// - `status`, `dateTime` (signed), `provision.period` (`start`; an `end` is a withdrawal);
/// - `sourceAttachment` (`url` relative to the JSON file, optional `hash` = base64 SHA-1 as FHIR
///   R4 defines it): the signed document.
public struct ConsentReader: Sendable {
    public static let formVersionExtension = "https://trialchain.dev/fhir/StructureDefinition/consent-form-version"
    static let statuses: Set<String> = ["draft", "proposed", "active", "rejected", "inactive", "entered-in-error"]

    public init() {}

    /// Reads one JSON file.
    /// - returns: accepted consents and rejected resources (with the field and reason).
    /// - throws: `ConsentError` when the file is not JSON or not a Consent/Bundle.
    public func read(url: URL, displayName: String) throws -> (consents: [ConsentRecord], rejects: [ConsentReject]) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConsentError.unreadable(file: displayName, reason: "no such file or permission denied")
        }
        guard data.count <= 32 << 20 else { throw ConsentError.unreadable(file: displayName, reason: "larger than 32 MiB") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConsentError.malformedJSON(file: displayName, line: ConsentReader.line(of: error, in: data), reason: ConsentReader.reason(error))
        }
        guard let resource = object as? [String: Any] else {
            throw ConsentError.wrongResourceType(file: displayName, found: "(not a JSON object)")
        }
        let type = resource["resourceType"] as? String ?? "(missing)"
        var consents: [ConsentRecord] = []
        var rejects: [ConsentReject] = []
        func take(_ resource: [String: Any], entry: Int?) {
            switch parse(resource, file: displayName, entry: entry, directory: url.deletingLastPathComponent()) {
            case let .success(consent): consents.append(consent)
            case let .failure(reject): rejects.append(reject)
            }
        }
        switch type {
        case "Consent":
            take(resource, entry: nil)
        case "Bundle":
            for (index, entry) in ((resource["entry"] as? [Any]) ?? []).enumerated() {
                guard let inner = (entry as? [String: Any])?["resource"] as? [String: Any] else {
                    rejects.append(ConsentReject(file: displayName, entry: index, field: "entry[\(index)].resource", reason: "missing resource"))
                    continue
                }
                let innerType = inner["resourceType"] as? String ?? "(missing)"
                guard innerType == "Consent" else {
                    rejects.append(ConsentReject(file: displayName, entry: index, field: "entry[\(index)].resource.resourceType",
                                                 reason: "expected Consent, found \(innerType)"))
                    continue
                }
                take(inner, entry: index)
            }
        default:
            throw ConsentError.wrongResourceType(file: displayName, found: type)
        }
        return (consents, rejects)
    }

    private func parse(_ r: [String: Any], file: String, entry: Int?, directory: URL) -> Result<ConsentRecord, ConsentReject> {
        func reject(_ field: String, _ reason: String) -> Result<ConsentRecord, ConsentReject> {
            .failure(ConsentReject(file: file, entry: entry, field: field, reason: reason))
        }
        let patient = r["patient"] as? [String: Any]
        var participant = (patient?["reference"] as? String).map { $0.hasPrefix("Patient/") ? String($0.dropFirst(8)) : $0 }
        if participant == nil { participant = (patient?["identifier"] as? [String: Any])?["value"] as? String }
        guard let participant, !participant.isEmpty else { return reject("patient", "missing: expected patient.reference \"Patient/<id>\" or patient.identifier.value") }
        let extensions = (r["extension"] as? [[String: Any]]) ?? []
        guard let version = extensions.first(where: { $0["url"] as? String == ConsentReader.formVersionExtension })?["valueString"] as? String,
              !version.isEmpty else {
            return reject("extension", "missing the consent form version (extension \(ConsentReader.formVersionExtension), valueString)")
        }
        guard let status = r["status"] as? String, ConsentReader.statuses.contains(status) else {
            return reject("status", "expected one of \(ConsentReader.statuses.sorted().joined(separator: ", ")), found \(r["status"].map { "\($0)" } ?? "nothing")")
        }
        guard let signedText = r["dateTime"] as? String, let signed = TrialTime(signedText) else {
            return reject("dateTime", "expected the signing date-time (ISO 8601 with a time zone), found \(r["dateTime"].map { "\($0)" } ?? "nothing")")
        }
        let period = (r["provision"] as? [String: Any])?["period"] as? [String: Any]
        var start = signed
        if let text = period?["start"] as? String {
            guard let parsed = TrialTime(text) else { return reject("provision.period.start", "not an ISO 8601 date-time: \(text)") }
            start = parsed
        }
        var end: TrialTime?
        if let text = period?["end"] as? String {
            guard let parsed = TrialTime(text) else { return reject("provision.period.end", "not an ISO 8601 date-time: \(text)") }
            guard parsed >= start else { return reject("provision.period.end", "ends (\(parsed)) before it starts (\(start))") }
            end = parsed
        }
        guard let attachment = r["sourceAttachment"] as? [String: Any], let url = attachment["url"] as? String, !url.isEmpty else {
            return reject("sourceAttachment.url", "missing: the signed document must be named")
        }
        guard !url.contains("://"), !url.hasPrefix("/"), !url.split(separator: "/").contains("..") else {
            return reject("sourceAttachment.url", "must be a path relative to the consent file, inside its folder: \(url)")
        }
        var sha1: [UInt8]?
        if let hash = attachment["hash"] as? String {
            guard let bytes = Data(base64Encoded: hash), bytes.count == 20 else {
                return reject("sourceAttachment.hash", "expected base64 of a 20-byte SHA-1 (FHIR R4 Attachment.hash)")
            }
            sha1 = Array(bytes)
        }
        return .success(ConsentRecord(
            participant: participant, formVersion: version, status: status, signedAt: signed, periodStart: start, periodEnd: end,
            documentPath: directory.appendingPathComponent(url).path, documentSHA1: sha1,
            resourceID: r["id"] as? String ?? "", file: file, entry: entry))
    }

    static func reason(_ error: Error) -> String {
        ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
    }

    /// The line of "around character N" in Foundation's JSON error.
    static func line(of error: Error, in data: Data) -> Int {
        let text = reason(error)
        guard let range = text.range(of: "character "), let offset = Int(text[range.upperBound...].prefix { $0.isNumber }) else { return 1 }
        return data.prefix(offset).filter { $0 == 0x0A }.count + 1
    }
}
