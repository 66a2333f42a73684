import Attestation
import Workspace

/// What a report says about where its numbers come from: the trial and the exact contract
/// artifact version (name, version, digest) it renders.
public struct ReportContext: Equatable, Sendable {
    public let trial: String
    public let artifact: String
    public let version: Int
    public let sha256: String
    /// The signature of the run that computed the artifact (name, meaning, time, key) and its
    /// ledger entry, when known.
    public let signature: JSONValue?
    public let entryIndex: UInt64?

    public init(trial: String, artifact: String, version: Int, sha256: String, signature: JSONValue? = nil, entryIndex: UInt64? = nil) {
        self.trial = trial
        self.artifact = artifact
        self.version = version
        self.sha256 = sha256
        self.signature = signature
        self.entryIndex = entryIndex
    }

    /// The context of an artifact version in a workspace, with the signature of the run that made it.
    public static func of(_ version: ArtifactVersion, in workspace: Workspace) throws -> ReportContext {
        let attestation = try workspace.attestation(creating: version)
        return ReportContext(trial: workspace.trialID, artifact: version.name, version: version.version, sha256: version.sha256,
                             signature: attestation?.statement.predicate["signature"], entryIndex: attestation?.entryIndex)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["trial": .string(trial), "artifact": .string(artifact), "version": .integer(Int64(version)), "sha256": .string(sha256)]
        if let signature { object["signature"] = signature }
        if let entryIndex { object["entry"] = .integer(Int64(entryIndex)) }
        return .object(object)
    }

    /// The provenance paragraph at the top of an HTML report.
    func htmlMeta(_ contract: JSONValue?) -> String {
        let name = contract?["name"]?.stringValue ?? "?"
        let version = contract?["version"]?.integerValue ?? 0
        let digest = contract?["sha256"]?.stringValue ?? "?"
        return "<p class=\"meta\">Trial <b>\(HTMLPage.escape(trial))</b><br>"
            + "Contract <b>\(HTMLPage.escape(name))</b>, <b>contract version \(version)</b> (the version its author wrote in the contract file; file sha256 <code>\(HTMLPage.escape(digest))</code>)<br>"
            + "Renders the stored output <code>\(HTMLPage.escape(artifact))</code>, <b>output version \(self.version)</b> (the \(ordinal(self.version)) result anchored under that name; sha256 <code>\(HTMLPage.escape(sha256))</code>), anchored in the trial ledger. "
            + "Record ids name the anchored records behind every line; <code>trialchain verify</code> checks them."
            + signatureLine + "</p>\n"
    }

    func ordinal(_ number: Int) -> String {
        let suffix = (11...13).contains(number % 100) ? "th" : (number % 10 == 1 ? "st" : number % 10 == 2 ? "nd" : number % 10 == 3 ? "rd" : "th")
        return "\(number)\(suffix)"
    }

    /// "Computed at ledger entry N: performed by NAME (key) at TIME."
    var signatureLine: String {
        guard let signature, let name = signature["name"]?.stringValue else { return "" }
        return "<br>Computed by ledger entry \(entryIndex.map(String.init) ?? "?"): <b>\(HTMLPage.escape(signature["meaning"]?.stringValue ?? "?"))</b> by "
            + "<b>\(HTMLPage.escape(name))</b> (key <code>\(HTMLPage.escape(signature["keyid"]?.stringValue ?? "?"))</code>) at \(HTMLPage.escape(signature["signedAt"]?.stringValue ?? "?"))."
    }
}

/// Reading helpers for the artifact JSON.
extension JSONValue {
    var int: Int64 { integerValue ?? 0 }
    var text: String { stringValue ?? "" }
    var list: [JSONValue] { arrayValue ?? [] }
}

/// Record references: `id:leafhash` pairs, id ranges, and a digest over a long list.
enum Evidence {
    static func pairs(_ records: JSONValue?) -> String {
        (records?.list ?? []).map { "\($0["id"]?.int ?? 0):\($0["leafHash"]?.text ?? "")" }.joined(separator: " ")
    }

    /// `1201-1284 1300`.
    static func ranges(_ records: JSONValue?) -> String {
        let ids = (records?.list ?? []).compactMap { $0["id"]?.integerValue }.sorted()
        var parts: [String] = []
        var index = 0
        while index < ids.count {
            var end = index
            while end + 1 < ids.count, ids[end + 1] == ids[end] + 1 { end += 1 }
            parts.append(end == index ? "\(ids[index])" : "\(ids[index])-\(ids[end])")
            index = end + 1
        }
        return parts.joined(separator: " ")
    }

    /// HTML: the records' ids as ranges (`#5114–5118 #5120`); the CSV and JSON give the leaf hashes.
    static func shortIDs(_ records: JSONValue?) -> String {
        let text = ranges(records).split(separator: " ").map { "#" + $0.replacingOccurrences(of: "-", with: "–") }.joined(separator: " ")
        return "<span class=\"short\">\(HTMLPage.escape(text))</span>"
    }
}
