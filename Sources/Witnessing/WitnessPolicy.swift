import Foundation
import SignedNote

/// A witness policy in the witness network's text format: which witnesses count, and how many of
/// them must cosign a checkpoint (k of n, nested groups).
///
///     # comments and blank lines are ignored
///     log <vkey> [<url>]                     the log(s) the policy is for (optional)
///     witness <name> <vkey> [<url>]          a witness, by a name local to the file
///     group <name> <k|all|any> <member>…     k of the members (witnesses or earlier groups)
///     quorum <name|none>                     the witness or group that must be satisfied
public struct WitnessPolicy: Equatable, Sendable {
    /// The logs the policy names (empty: any log).
    public let logs: [NoteVerifierKey]
    /// The witnesses, by their name in the file.
    public let witnesses: [String: NoteVerifierKey]
    /// The groups: threshold and members.
    public let groups: [String: (threshold: Int, members: [String])]
    /// The witness or group that must be satisfied; nil for `quorum none`.
    public let quorum: String?

    public static func == (lhs: WitnessPolicy, rhs: WitnessPolicy) -> Bool {
        lhs.logs == rhs.logs && lhs.witnesses == rhs.witnesses && lhs.quorum == rhs.quorum
            && lhs.groups.keys == rhs.groups.keys && lhs.groups.allSatisfy { name, group in
                rhs.groups[name].map { $0.threshold == group.threshold && $0.members == group.members } ?? false
            }
    }

    /// Reads a policy.
    /// - parameter file: the file's name, for messages.
    /// - throws: `WitnessPolicyError.invalid` naming the file, the line and what was expected.
    public init(text: String, file: String) throws {
        var logs: [NoteVerifierKey] = [], witnesses: [String: NoteVerifierKey] = [:]
        var groups: [String: (threshold: Int, members: [String])] = [:], quorum: String?? = nil
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let keyword = words.first else { continue }
            func fail(_ expected: String) -> WitnessPolicyError { .invalid(file: file, line: number + 1, reason: expected) }
            func key(_ text: String) throws -> NoteVerifierKey {
                do { return try NoteVerifierKey(text) } catch { throw fail("\(text) is not a verifier key: \(error)") }
            }
            let defined = { (name: String) in witnesses[name] != nil || groups[name] != nil }
            switch keyword {
            case "log":
                guard (2...3).contains(words.count) else { throw fail("expected: log <vkey> [<url>]") }
                logs.append(try key(words[1]))
            case "witness":
                guard (3...4).contains(words.count) else { throw fail("expected: witness <name> <vkey> [<url>]") }
                guard !defined(words[1]), words[1] != "none" else { throw fail("the name \(words[1]) is already defined") }
                let vkey = try key(words[2])
                guard vkey.type == .cosignatureV1 else { throw fail("witness \(words[1]): expected a tlog-cosignature/v1 key (type 0x04)") }
                witnesses[words[1]] = vkey
            case "group":
                guard words.count >= 4 else { throw fail("expected: group <name> <k|all|any> <member>…") }
                guard !defined(words[1]), words[1] != "none" else { throw fail("the name \(words[1]) is already defined") }
                let members = Array(words.dropFirst(3))
                guard Set(members).count == members.count else { throw fail("group \(words[1]) names a member twice") }
                for member in members where !defined(member) { throw fail("group \(words[1]): \(member) is not a witness or group defined above") }
                let threshold: Int
                switch words[2] {
                case "all": threshold = members.count
                case "any": threshold = 1
                default:
                    guard let k = Int(words[2]), (1...members.count).contains(k) else {
                        throw fail("group \(words[1]): the threshold must be all, any or a number from 1 to \(members.count)")
                    }
                    threshold = k
                }
                groups[words[1]] = (threshold, members)
            case "quorum":
                guard words.count == 2 else { throw fail("expected: quorum <name|none>") }
                guard quorum == nil else { throw fail("a second quorum line") }
                guard words[1] == "none" || defined(words[1]) else { throw fail("quorum \(words[1]): not a witness or group defined above") }
                quorum = .some(words[1] == "none" ? nil : words[1])
            default:
                throw fail("unknown keyword \(keyword): expected log, witness, group or quorum")
            }
        }
        guard let quorum else { throw WitnessPolicyError.invalid(file: file, line: 0, reason: "no quorum line (quorum <name|none>)") }
        self.logs = logs
        self.witnesses = witnesses
        self.groups = groups
        self.quorum = quorum
    }

    /// Checks a cosigned checkpoint against the policy.
    /// - parameter logKey: the key of the log the checkpoint belongs to.
    /// - returns: the names (in the file) of the witnesses whose cosignature is valid.
    /// - throws: `WitnessPolicyError.otherLog` or `.quorumNotMet` saying who cosigned and who did not.
    public func check(_ cosignedCheckpoint: String, logKey: NoteVerifierKey) throws -> [String] {
        guard logs.isEmpty || logs.contains(logKey) else { throw WitnessPolicyError.otherLog(logKey.name) }
        let note = try SignedNote(parsing: cosignedCheckpoint)
        let valid = Set(witnesses.compactMap { name, key -> String? in
            guard let line = note.signatures.first(where: { $0.name == key.name && $0.keyID == key.keyID }),
                  (try? Cosignature(line).verify(checkpointText: note.text, key: key)) != nil else { return nil }
            return name
        })
        guard let quorum else { return valid.sorted() }
        func satisfied(_ name: String) -> Bool {
            if witnesses[name] != nil { return valid.contains(name) }
            guard let group = groups[name] else { return false }
            return group.members.filter(satisfied).count >= group.threshold
        }
        guard satisfied(quorum) else {
            throw WitnessPolicyError.quorumNotMet(quorum: describe(quorum), cosigned: valid.sorted(),
                                                  missing: witnesses.keys.filter { !valid.contains($0) }.sorted())
        }
        return valid.sorted()
    }

    func describe(_ name: String) -> String {
        guard let group = groups[name] else { return "witness \(name)" }
        return "\(name) (\(group.threshold) of \(group.members.joined(separator: ", ")))"
    }
}

/// A witness policy that cannot be read, or that a checkpoint does not satisfy.
public enum WitnessPolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(file: String, line: Int, reason: String)
    case otherLog(String)
    case quorumNotMet(quorum: String, cosigned: [String], missing: [String])

    public var description: String {
        switch self {
        case let .invalid(file, line, reason): return line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        case let .otherLog(origin): return "the witness policy names other logs, not \(origin)"
        case let .quorumNotMet(quorum, cosigned, missing):
            return "quorum \(quorum) needs more cosignatures: valid ones from "
                + (cosigned.isEmpty ? "no witness" : cosigned.joined(separator: ", ")) + "; none from " + missing.joined(separator: ", ")
        }
    }
}
