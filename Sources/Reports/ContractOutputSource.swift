import Attestation
import Contracts
import Workspace

/// A contract output to render, read as a stream: its members but `participants` (small: the
/// contract, totals, pooled figures), then its participants one at a time. Each read checks the
/// bytes against the anchored digest once they are all read.
public struct ContractOutputSource {
    let source: JSONObjectStream.Source
    let sha256: String?
    let label: String

    /// A stored artifact version (checked against its digest).
    public static func stored(_ version: ArtifactVersion, in workspace: Workspace) -> ContractOutputSource {
        ContractOutputSource(source: .file(workspace.objects.path(for: version.sha256)), sha256: version.sha256,
                             label: "\(version.name) v\(version.version)")
    }

    /// Bytes in memory (tests, small outputs).
    public static func bytes(_ bytes: [UInt8]) -> ContractOutputSource {
        ContractOutputSource(source: .bytes(bytes), sha256: nil, label: "the contract output")
    }

    /// Every member but `participants`, with `prescan` called for each participant when a report
    /// needs a figure of them before it writes them (nil: participants are skipped unparsed).
    func members(prescan: ((JSONValue) throws -> Void)? = nil) throws -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        try Workspace.stream(source, sha256: sha256, label: label, streaming: ContractOutput.participantsKey,
                             member: { members[$0] = $1 }, element: prescan)
        return members
    }

    /// Each participant, in the output's order.
    func participants(_ body: (JSONValue) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            try Workspace.stream(source, sha256: sha256, label: label, streaming: ContractOutput.participantsKey, member: { _, _ in }, element: body)
        }
    }
}
