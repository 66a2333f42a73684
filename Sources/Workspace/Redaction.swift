import Attestation
import Foundation

/// How an erasure redacts a blob that mentions a participant.
///
/// JSON: every array element whose content mentions the participant (their id, or
/// `Patient/<id>`) becomes `{"erased":true}`; if the participant is still mentioned outside any
/// array (a single Consent resource, say), the whole blob goes. Text (CSV, HTML): every line
/// that mentions the participant is blanked, keeping its commas so CSV keeps its shape.
enum Redaction {
    enum Outcome: Equatable {
        /// The blob does not mention the participant.
        case untouched
        /// The blob is destroyed with nothing in its place.
        case destroyed
        /// The blob is replaced by these bytes.
        case redacted([UInt8])
    }

    static func redact(_ bytes: [UInt8], participant: String) -> Outcome {
        guard mentions(bytes, participant) else { return .untouched }
        if let value = try? JSONValue.parse(bytes) {
            let redacted = redact(value, participant)
            if mentions(redacted, participant) { return .destroyed }
            return .redacted(CanonicalJSON.encode(redacted))
        }
        guard String(bytes: bytes, encoding: .utf8) != nil else { return .destroyed }
        // Line by line on the bytes (a String would take "\r\n" as one character).
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out.append(0x0A) }
            guard mentions(Array(line), participant) else { out += line; continue }
            out += [UInt8](repeating: 0x2C, count: line.filter { $0 == 0x2C }.count)
            if line.last == 0x0D { out.append(0x0D) }
        }
        return .redacted(out)
    }

    static func redact(_ value: JSONValue, _ participant: String) -> JSONValue {
        switch value {
        case let .array(elements):
            return .array(elements.map { mentions($0, participant) ? ["erased": true] : redact($0, participant) })
        case let .object(members):
            return .object(members.mapValues { redact($0, participant) })
        default:
            return value
        }
    }

    static func mentions(_ value: JSONValue, _ participant: String) -> Bool {
        switch value {
        case let .string(text): return text == participant || text.hasSuffix("/" + participant) || mentions(Array(text.utf8), participant)
        case let .array(elements): return elements.contains { mentions($0, participant) }
        case let .object(members): return members.contains { mentions($0.value, participant) || $0.key == participant }
        default: return false
        }
    }

    /// Whether the bytes contain the id as a whole token (not as the start of a longer id).
    static func mentions(_ bytes: [UInt8], _ participant: String) -> Bool {
        let needle = Array(participant.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        func isIDByte(_ byte: UInt8) -> Bool {
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95
        }
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<(index + needle.count)]) == needle {
                let before = index == 0 ? nil : bytes[index - 1]
                let after = index + needle.count < bytes.count ? bytes[index + needle.count] : nil
                if !(before.map(isIDByte) ?? false) && !(after.map(isIDByte) ?? false) { return true }
            }
            index += 1
        }
        return false
    }
}
