import CLibXML2

/// Collects libxml2's structured errors (with line numbers) for one parse or validation.
///
/// libxml2 2.12 changed the callback's parameter to `const xmlError *`; this file is the only
/// place that knows the callback's C type.
final class XMLErrorLog {
    struct Entry {
        let line: Int
        let message: String
        let domain: Int32
        let level: Int32
    }

    private(set) var entries: [Entry] = []

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    func record(line: Int, message: String, domain: Int32, level: Int32) {
        guard entries.count < 1000 else { return }
        entries.append(Entry(line: line, message: message.trimmingCharacters(in: .whitespacesAndNewlines), domain: domain, level: level))
    }

    /// Errors and fatal errors, plus namespace warnings (TrialChain treats those as errors).
    var failures: [Entry] {
        entries.filter { $0.level >= Int32(XML_ERR_ERROR.rawValue) || $0.domain == Int32(XML_FROM_NAMESPACE.rawValue) }
    }

    static let callback: xmlStructuredErrorFunc = { context, error in
        guard let context, let error else { return }
        let log = Unmanaged<XMLErrorLog>.fromOpaque(context).takeUnretainedValue()
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        log.record(line: Int(error.pointee.line), message: message, domain: error.pointee.domain, level: Int32(error.pointee.level.rawValue))
    }
}

import Foundation
