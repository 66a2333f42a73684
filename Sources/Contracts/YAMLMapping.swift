import Yams

/// A YAML mapping read key by key, where every problem names the file, the line and the key.
///
/// Pipeline and contract files are both read through it, so their errors look alike:
/// `Pipelines/contracts/payouts.yml:14: on-time: expected an amount …`.
public struct YAMLMapping {
    /// Builds the error a reader throws: (line, key, message).
    public typealias MakeError = (_ line: Int, _ key: String, _ message: String) -> Error

    public let node: Node
    let mapping: Node.Mapping
    let makeError: MakeError

    /// Parses a whole YAML document whose top level must be a mapping.
    /// - throws: what `makeError` builds, for YAML syntax errors and a top level that is not a mapping.
    public static func document(_ text: String, expected: String, makeError: @escaping MakeError) throws -> YAMLMapping {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw makeError(line(of: error), "(yaml)", "\(error)".split(separator: "\n").first.map(String.init) ?? "not YAML")
        }
        guard let node, case let .mapping(mapping) = node else { throw makeError(1, "(top)", "expected a mapping with \(expected)") }
        return YAMLMapping(node: node, mapping: mapping, makeError: makeError)
    }

    /// Wraps a node that must be a mapping.
    public init(_ node: Node, key: String, makeError: @escaping MakeError) throws {
        guard case let .mapping(mapping) = node else { throw makeError(node.mark?.line ?? 1, key, "expected a mapping") }
        self.init(node: node, mapping: mapping, makeError: makeError)
    }

    init(node: Node, mapping: Node.Mapping, makeError: @escaping MakeError) {
        self.node = node
        self.mapping = mapping
        self.makeError = makeError
    }

    /// The line of the mapping itself.
    public var line: Int { node.mark?.line ?? 1 }

    /// The line of a key's value, else of the mapping.
    public func line(_ key: String) -> Int { node[key]?.mark?.line ?? line }

    /// An error at a key's line.
    public func fail(_ key: String, _ message: String) -> Error { makeError(line(key), key, message) }

    /// Refuses any key not in `allowed`, naming the known ones.
    public func onlyKeys(_ allowed: Set<String>) throws {
        for (key, _) in mapping {
            let name = key.string ?? "?"
            guard allowed.contains(name) else {
                throw makeError(key.mark?.line ?? line, name, "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    /// The keys, in file order.
    public var keys: [String] { mapping.map { $0.key.string ?? "" } }

    /// Each key with its value, which must be a mapping, in file order (keys as written, so a
    /// quoted `"102"` and a plain `102` are the same key).
    public func nestedMappings() throws -> [(key: String, mapping: YAMLMapping)] {
        try mapping.map { pair in
            let key = pair.key.string ?? ""
            return (key, try YAMLMapping(pair.value, key: key, makeError: makeError))
        }
    }

    /// Whether the key is present.
    public func has(_ key: String) -> Bool { node[key] != nil }

    /// A non-empty scalar, exactly as written (`25.00` stays `25.00`).
    public func string(_ key: String) throws -> String? {
        guard let value = node[key] else { return nil }
        guard case let .scalar(scalar) = value, !scalar.string.isEmpty else { throw fail(key, "expected a non-empty value") }
        return scalar.string
    }

    /// A required non-empty scalar.
    public func required(_ key: String) throws -> String {
        guard let value = try string(key) else { throw makeError(line, key, "missing; this key is required") }
        return value
    }

    /// A whole number within `range`.
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw fail(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(text)")
        }
        return value
    }

    /// A list of non-empty scalars (a single scalar counts as a list of one).
    public func strings(_ key: String) throws -> [String]? {
        guard let value = node[key] else { return nil }
        if case .scalar = value { return [try required(key)] }
        guard case let .sequence(sequence) = value else { throw fail(key, "expected a list") }
        return try sequence.map { element in
            guard case let .scalar(scalar) = element, !scalar.string.isEmpty else {
                throw makeError(element.mark?.line ?? line, key, "expected a list of non-empty values")
            }
            return scalar.string
        }
    }

    /// A nested mapping.
    public func mapping(_ key: String) throws -> YAMLMapping? {
        guard let value = node[key] else { return nil }
        return try YAMLMapping(value, key: key, makeError: makeError)
    }

    /// A list of mappings.
    public func mappings(_ key: String) throws -> [YAMLMapping]? {
        guard let value = node[key] else { return nil }
        guard case let .sequence(sequence) = value else { throw fail(key, "expected a list") }
        return try sequence.map { try YAMLMapping($0, key: key, makeError: makeError) }
    }

    static func line(of error: YamlError) -> Int {
        if case let .scanner(_, _, mark, _) = error { return mark.line }
        if case let .parser(_, _, mark, _) = error { return mark.line }
        return 1
    }
}
