import Foundation
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
        public let reason: String?
        public let line: Int
    }

    public static let kinds = ["ingest/protocol", "ingest/consents", "ingest/measurements"]
    static let topKeys: Set<String> = ["pipeline", "trial", "origin", "root", "stages"]
    static let stageKeys: Set<String> = ["name", "kind", "inputs", "after", "parameters"]
    static let parameterKeys: Set<String> = ["max-rejects", "map", "reason"]

    public let path: String
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
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineError.invalid(file: file, line: PipelineFile.line(of: error), key: "(yaml)", message: "\(error)".split(separator: "\n").first.map(String.init) ?? "not YAML")
        }
        guard let top = node, case let .mapping(mapping) = top else {
            throw PipelineError.invalid(file: file, line: 1, key: "(top)", message: "expected a mapping with pipeline, trial and stages")
        }
        func fail(_ node: Node?, _ key: String, _ message: String) -> PipelineError {
            .invalid(file: file, line: node?.mark?.line ?? 1, key: key, message: message)
        }
        func string(_ node: Node?, _ key: String) throws -> String {
            guard let node, case let .scalar(scalar) = node, !scalar.string.isEmpty else { throw fail(node ?? top, key, "expected a non-empty string") }
            return scalar.string
        }
        for (key, _) in mapping {
            let name = key.string ?? ""
            guard PipelineFile.topKeys.contains(name) else {
                throw fail(key, name, "unknown key; expected one of \(PipelineFile.topKeys.sorted().joined(separator: ", "))")
            }
        }
        self.path = file
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
            guard let inputsNode = stageNode["inputs"], case let .sequence(patterns) = inputsNode, !patterns.isEmpty else {
                throw fail(stageNode["inputs"] ?? stageNode, "inputs", "expected a list of paths or glob patterns")
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
            if kind == "ingest/protocol" && inputs.count != 1 {
                throw fail(inputsNode, "inputs", "an ingest/protocol stage takes exactly one file, found \(inputs.count)")
            }
            var after: [String] = []
            if let afterNode = stageNode["after"] {
                guard case let .sequence(names) = afterNode else { throw fail(afterNode, "after", "expected a list of stage names") }
                after = try names.map { try string($0, "after") }
            }
            var maxRejects: Int?
            var map: String?
            var reason: String?
            if let parameters = stageNode["parameters"] {
                guard case let .mapping(parameterMapping) = parameters else { throw fail(parameters, "parameters", "expected a mapping") }
                for (key, value) in parameterMapping {
                    switch key.string ?? "" {
                    case "max-rejects":
                        guard let number = value.int, number >= 0 else { throw fail(value, "max-rejects", "expected a whole number, 0 or more") }
                        maxRejects = number
                    case "map":
                        guard kind == "ingest/measurements" else { throw fail(key, "map", "only ingest/measurements stages take a column map") }
                        map = try string(value, "map")
                    case "reason": reason = try string(value, "reason")
                    default:
                        throw fail(key, key.string ?? "?", "unknown parameter; expected one of \(PipelineFile.parameterKeys.sorted().joined(separator: ", "))")
                    }
                }
            }
            stages.append(Stage(name: name, kind: kind, inputs: inputs, after: after, maxRejects: maxRejects, map: map, reason: reason,
                                line: stageNode.mark?.line ?? 1))
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
        let reads: [String: [String]] = ["ingest/consents": ["ingest/protocol"], "ingest/measurements": ["ingest/protocol", "ingest/consents"]]
        var dependencies: [String: Set<String>] = [:]
        for stage in stages {
            var needs = Set(stage.after)
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

    static func line(of error: YamlError) -> Int {
        if case let .scanner(_, _, mark, _) = error { return mark.line }
        if case let .parser(_, _, mark, _) = error { return mark.line }
        return 1
    }
}
