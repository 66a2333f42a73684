import Contracts
import Crypto
import Foundation
import Ingest
import MerkleLog
import Reports
import Yams

/// A pipeline file (`Pipelines/*.yml`): the trial and its stages, validated whole before
/// anything runs.
///
/// ```yaml
/// pipeline: demo
/// trial: DEMO-2026-001
/// origin: example.org/trials/DEMO-2026-001   # optional
/// root: ..                                    # inputs are relative to this (default: the file's parent folder's parent)
/// stages:
///   - name: protocol
///     kind: ingest/protocol
///     inputs: [SampleData/protocol.xml]
///   - name: measurements
///     kind: ingest/measurements
///     inputs: ["SampleData/measurements/*.csv"]
///     after: [protocol]
///     parameters: {max-rejects: 500, map: "participant=SUBJID"}
///   - name: payouts
///     kind: contract
///     inputs: [Pipelines/contracts/participant-payments.yml]
///   - name: reports
///     kind: report
///     parameters: {contracts: [payouts], formats: [html, csv, json]}
/// ```
public struct PipelineFile: Sendable, Equatable {
    /// One stage.
    public struct Stage: Sendable, Equatable {
        public let name: String
        public let kind: String
        /// The input files, resolved from the patterns, sorted, relative to `root`.
        public let inputs: [String]
        public let after: [String]
        public let maxRejects: Int?
        public let map: String?
        /// A REDCap data export's settings (`layout: redcap`), if the stage reads one.
        public var redcap: REDCapLayout? = nil
        /// Consent form versions a consents stage approves (for a protocol that declares none).
        public var approvedFormVersions: [String] = []
        public let reason: String?
        /// A contract stage's contract, read and validated with the pipeline.
        public let contract: ContractFile?
        /// A report stage's contract stages, and its formats.
        public let reportOf: [String]
        public let formats: [ReportFormat]
        public let line: Int
    }

    public static let kinds = ["ingest/protocol", "ingest/consents", "ingest/measurements", "contract", "report"]
    static let topKeys: Set<String> = ["pipeline", "trial", "origin", "root", "stages"]
    static let stageKeys: Set<String> = ["name", "kind", "inputs", "after", "parameters"]
    static let parameterKeys: [String: Set<String>] = [
        "ingest/protocol": ["reason"], "ingest/consents": ["max-rejects", "reason", "approved-form-versions"], "ingest/measurements": ["max-rejects", "map", "reason", "layout", "date-fields", "time-zones", "site", "units"],
        "contract": [], "report": ["contracts", "formats"],
    ]

    public let path: String
    /// SHA-256 of the pipeline file, named in every attestation of its runs.
    public let sha256: String
    public let name: String
    public let trial: String
    public let origin: String?
    /// The folder inputs are relative to.
    public let root: URL
    /// Stages in the order they run (dependencies first, otherwise file order).
    public let stages: [Stage]

    /// Reads and validates a pipeline file.
    /// - throws: `PipelineError.invalid` naming the line and key of the first problem.
    public init(url: URL, displayName: String? = nil) throws {
        let file = displayName ?? url.path
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.unreadable(file: file, reason: "no such file, or not UTF-8")
        }
        let document = try YAMLMapping.document(text, expected: "pipeline, trial and stages") {
            PipelineError.invalid(file: file, line: $0, key: $1, message: $2)
        }
        try document.onlyKeys(PipelineFile.topKeys)
        let top = document.node
        func fail(_ node: Node?, _ key: String, _ message: String) -> PipelineError {
            .invalid(file: file, line: node?.mark?.line ?? 1, key: key, message: message)
        }
        func string(_ node: Node?, _ key: String) throws -> String {
            guard let node, case let .scalar(scalar) = node, !scalar.string.isEmpty else { throw fail(node ?? top, key, "expected a non-empty string") }
            return scalar.string
        }
        self.path = file
        self.sha256 = Hex.encode(SHA256.hash(data: data))
        self.name = try string(top["pipeline"], "pipeline")
        self.trial = try string(top["trial"], "trial")
        self.origin = try top["origin"].map { try string($0, "origin") }
        let base = url.deletingLastPathComponent()
        self.root = URL(fileURLWithPath: try top["root"].map { try string($0, "root") } ?? "..", relativeTo: base).standardizedFileURL

        guard let stagesNode = top["stages"], case let .sequence(sequence) = stagesNode, !sequence.isEmpty else {
            throw fail(top["stages"] ?? top, "stages", "expected a non-empty list of stages")
        }
        var stages: [Stage] = []
        for stageNode in sequence {
            guard case let .mapping(stageMapping) = stageNode else { throw fail(stageNode, "stages", "each stage is a mapping with name, kind and inputs") }
            for (key, _) in stageMapping where !PipelineFile.stageKeys.contains(key.string ?? "") {
                throw fail(key, key.string ?? "?", "unknown stage key; expected one of \(PipelineFile.stageKeys.sorted().joined(separator: ", "))")
            }
            let name = try string(stageNode["name"], "name")
            guard !stages.contains(where: { $0.name == name }) else { throw fail(stageNode["name"], "name", "a stage named \(name) already exists") }
            let kind = try string(stageNode["kind"], "kind")
            guard PipelineFile.kinds.contains(kind) else {
                throw fail(stageNode["kind"], "kind", "unknown stage kind \(kind); known kinds: \(PipelineFile.kinds.joined(separator: ", "))")
            }
            var patterns: [Node] = []
            if kind == "report" {
                if let inputsNode = stageNode["inputs"] { throw fail(inputsNode, "inputs", "a report stage reads contract outputs: name them with parameters: {contracts: [stage, …]}") }
            } else {
                guard let inputsNode = stageNode["inputs"], case let .sequence(list) = inputsNode, !list.isEmpty else {
                    throw fail(stageNode["inputs"] ?? stageNode, "inputs", "expected a list of paths or glob patterns")
                }
                patterns = Array(list)
            }
            var inputs: [String] = []
            for pattern in patterns {
                let text = try string(pattern, "inputs")
                let matches = PipelineFile.glob(text, root: root)
                guard !matches.isEmpty else {
                    throw fail(pattern, "inputs", "\(text) matches no file (paths are relative to \(root.path))")
                }
                inputs += matches
            }
            if (kind == "ingest/protocol" || kind == "contract") && inputs.count != 1 {
                throw fail(stageNode["inputs"], "inputs", "an \(kind) stage takes exactly one file, found \(inputs.count)")
            }
            var contract: ContractFile?
            if kind == "contract" {
                do {
                    contract = try ContractFile(url: root.appendingPathComponent(inputs[0]), displayName: inputs[0])
                } catch let ContractError.invalid(contractFile, line, key, message) {
                    throw PipelineError.invalid(file: contractFile, line: line, key: key, message: message)
                } catch let ContractError.unreadable(contractFile, reason) {
                    throw PipelineError.unreadable(file: contractFile, reason: reason)
                }
                if let other = stages.first(where: { $0.contract?.artifactName == contract!.artifactName }) {
                    throw fail(stageNode["inputs"], "inputs", "stage \(other.name) already runs contract \(contract!.name)")
                }
            }
            var after: [String] = []
            if let afterNode = stageNode["after"] {
                guard case let .sequence(names) = afterNode else { throw fail(afterNode, "after", "expected a list of stage names") }
                after = try names.map { try string($0, "after") }
            }
            var maxRejects: Int?
            var map: String?
            var reason: String?
            var reportOf: [String] = []
            var formats = ReportFormat.allCases
            var layout = "long", dateFields: [String] = [], timeZones: [String: String] = [:], site: String?, units: [String: String] = [:]
            var approvedFormVersions: [String] = []
            if let parameters = stageNode["parameters"] {
                guard case let .mapping(parameterMapping) = parameters else { throw fail(parameters, "parameters", "expected a mapping") }
                let allowed = PipelineFile.parameterKeys[kind] ?? []
                for (key, value) in parameterMapping {
                    guard allowed.contains(key.string ?? "") else {
                        throw fail(key, key.string ?? "?", allowed.isEmpty ? "a \(kind) stage takes no parameters"
                                   : "unknown parameter for a \(kind) stage; expected one of \(allowed.sorted().joined(separator: ", "))")
                    }
                    switch key.string ?? "" {
                    case "contracts":
                        reportOf = try PipelineFile.strings(value, "contracts", fail)
                    case "formats":
                        formats = try PipelineFile.strings(value, "formats", fail).map { text in
                            guard let format = ReportFormat(rawValue: text) else {
                                throw fail(value, "formats", "unknown report format \(text); expected csv, json or html")
                            }
                            return format
                        }
                    case "max-rejects":
                        guard let number = value.int, number >= 0 else { throw fail(value, "max-rejects", "expected a whole number, 0 or more") }
                        maxRejects = number
                    case "map":
                        map = try string(value, "map")
                    case "reason": reason = try string(value, "reason")
                    case "layout":
                        layout = try string(value, "layout")
                        guard ["long", "redcap"].contains(layout) else { throw fail(value, "layout", "expected long or redcap, found \(layout)") }
                    case "date-fields": dateFields = try PipelineFile.strings(value, "date-fields", fail)
                    case "time-zones":
                        if let text = value.string { timeZones = ["*": text] } else { timeZones = try PipelineFile.stringMap(value, "time-zones", fail) }
                    case "site": site = try string(value, "site")
                    case "units": units = try PipelineFile.stringMap(value, "units", fail)
                    case "approved-form-versions": approvedFormVersions = try PipelineFile.strings(value, "approved-form-versions", fail)
                    default:
                        throw fail(key, key.string ?? "?", "unknown parameter")
                    }
                }
            }
            var stage = Stage(name: name, kind: kind, inputs: inputs, after: after, maxRejects: maxRejects, map: map, reason: reason,
                              contract: contract, reportOf: reportOf, formats: formats, line: stageNode.mark?.line ?? 1)
            stage.approvedFormVersions = approvedFormVersions
            if layout == "redcap" {
                do {
                    stage.redcap = try REDCapLayout(dateFields: dateFields, timeZones: timeZones, site: site, units: units)
                } catch {
                    throw PipelineError.invalid(file: file, line: stageNode.mark?.line ?? 1, key: "parameters", message: "\(error)")
                }
            } else if !dateFields.isEmpty || !timeZones.isEmpty || site != nil || !units.isEmpty {
                throw PipelineError.invalid(file: file, line: stageNode.mark?.line ?? 1, key: "parameters",
                                            message: "date-fields, time-zones, site and units are settings of layout: redcap")
            }
            stages.append(stage)
        }
        for (index, stage) in stages.enumerated() where stage.kind == "report" {
            let contracts = stages.filter { $0.kind == "contract" }.map(\.name)
            if stage.reportOf.isEmpty {
                guard !contracts.isEmpty else {
                    throw PipelineError.invalid(file: file, line: stage.line, key: "kind", message: "a report stage needs a contract stage in the pipeline to report on")
                }
                stages[index] = Stage(name: stage.name, kind: stage.kind, inputs: [], after: stage.after, maxRejects: nil, map: nil, reason: nil,
                                      contract: nil, reportOf: contracts, formats: stage.formats, line: stage.line)
            }
            for name in stages[index].reportOf where !contracts.contains(name) {
                throw PipelineError.invalid(file: file, line: stage.line, key: "contracts",
                                            message: "\(name) is not a contract stage of this pipeline (contract stages: \(contracts.isEmpty ? "none" : contracts.joined(separator: ", ")))")
            }
        }
        for stage in stages {
            for dependency in stage.after where !stages.contains(where: { $0.name == dependency }) {
                throw PipelineError.invalid(file: file, line: stage.line, key: "after", message: "stage \(stage.name) runs after \(dependency), which is not a stage of this pipeline")
            }
        }
        self.stages = try PipelineFile.order(stages, file: file)
    }

    /// Dependencies first (explicit `after`, and each kind after the kinds it reads), else file order.
    /// - throws: `PipelineError.invalid` naming a cycle.
    static func order(_ stages: [Stage], file: String) throws -> [Stage] {
        let reads: [String: [String]] = ["ingest/consents": ["ingest/protocol"], "ingest/measurements": ["ingest/protocol", "ingest/consents"],
                                         "contract": ["ingest/protocol", "ingest/consents", "ingest/measurements"]]
        var dependencies: [String: Set<String>] = [:]
        for stage in stages {
            var needs = Set(stage.after).union(stage.reportOf)
            for kind in reads[stage.kind] ?? [] { needs.formUnion(stages.filter { $0.kind == kind }.map(\.name)) }
            dependencies[stage.name] = needs
        }
        var ordered: [Stage] = []
        var done = Set<String>()
        while ordered.count < stages.count {
            guard let next = stages.first(where: { !done.contains($0.name) && dependencies[$0.name]!.isSubset(of: done) }) else {
                let stuck = stages.filter { !done.contains($0.name) }
                throw PipelineError.invalid(file: file, line: stuck.first?.line ?? 1, key: "after",
                                            message: "the stages \(stuck.map(\.name).joined(separator: ", ")) depend on each other in a cycle")
            }
            ordered.append(next)
            done.insert(next.name)
        }
        return ordered
    }

    /// Files matching a pattern (`*`, `?`, `[…]` within one path component), relative to `root`, sorted.
    static func glob(_ pattern: String, root: URL) -> [String] {
        var isDirectory: ObjCBool = false
        let direct = root.appendingPathComponent(pattern).path
        if !pattern.contains(where: { "*?[".contains($0) }) {
            return FileManager.default.fileExists(atPath: direct, isDirectory: &isDirectory) && !isDirectory.boolValue ? [pattern] : []
        }
        let folder = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        guard !folder.contains(where: { "*?[".contains($0) }),
              let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path) else { return [] }
        return names.filter { !$0.hasPrefix(".") && fnmatch(namePattern, $0, 0) == 0 }.sorted()
            .map { folder.isEmpty ? $0 : folder + "/" + $0 }
            .filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &isDirectory) && !isDirectory.boolValue }
    }

    /// A mapping of strings (`{102: America/New_York}`).
    static func stringMap(_ node: Node, _ key: String, _ fail: (Node?, String, String) -> PipelineError) throws -> [String: String] {
        guard case let .mapping(mapping) = node else { throw fail(node, key, "expected a mapping") }
        var result: [String: String] = [:]
        for (name, value) in mapping {
            guard let name = name.string, let text = value.string else { throw fail(value, key, "expected text keys and values") }
            result[name] = text
        }
        return result
    }

    static func strings(_ node: Node, _ key: String, _ fail: (Node?, String, String) -> PipelineError) throws -> [String] {
        if case let .scalar(scalar) = node, !scalar.string.isEmpty { return [scalar.string] }
        guard case let .sequence(list) = node, !list.isEmpty else { throw fail(node, key, "expected a list") }
        return try list.map { element in
            guard case let .scalar(scalar) = element, !scalar.string.isEmpty else { throw fail(element, key, "expected a list of names") }
            return scalar.string
        }
    }

}
