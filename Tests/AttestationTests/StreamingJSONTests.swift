import Crypto
import Foundation
import Testing
@testable import Attestation

/// The pieces that let contract outputs over millions of records be written and read without
/// holding them: an object written around a streamed array, read back one element at a time, and
/// outputs hashed as they are written.
@Suite("Streaming JSON: objects around one streamed array, outputs hashed as written")
struct StreamingJSONTests {
    /// Elements whose strings hold everything a boundary scanner could trip on: brackets, braces,
    /// commas, escaped quotes and backslashes, control escapes, multi-byte UTF-8.
    static func element(_ index: Int) -> JSONValue {
        [
            "participant": .string("P-\(index)"),
            "notes": .array([.string("a ] } , \" \\ \\\" [{ \(index)"), .string("tab\tnew\nline \u{01} é 𝄞"), .string("\\")]),
            "records": .array((0..<(index % 7)).map { ["id": .integer(Int64($0)), "leafHash": .string(String(repeating: "ab", count: 32))] }),
            "total": .integer(Int64(index) * -3), "flag": .bool(index % 2 == 0), "none": .null,
        ]
    }

    static var object: JSONValue {
        ["contract": ["name": "payments \"q\" ]", "type": "payouts"], "currency": ["code": "EUR"],
         "participants": .array((0..<9_000).map(element)),
         "sites": .array([["site": "101", "total": 5]]), "totals": [], "taxThreshold": .null]
    }

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString).json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test func aFileOfSeveralChunksReadsBackAsTheParserReadsItWhole() throws {
        let bytes = CanonicalJSON.encode(Self.object)
        #expect(bytes.count > 2 << 20, "the file spans several 1 MiB chunks (\(bytes.count) bytes)")
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        for source in [JSONObjectStream.Source.file(path), .bytes(bytes)] {
            var members: [String: JSONValue] = [:], elements: [JSONValue] = []
            let summary = try JSONObjectStream(source, streaming: "participants").read(member: { members[$0] = $1 }, element: { elements.append($0) })
            #expect(summary.sha256 == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            #expect(summary.byteCount == Int64(bytes.count))
            var whole = members
            whole["participants"] = .array(elements)
            #expect(JSONValue.object(whole) == Self.object)
        }
        // Members only: the elements are skipped, not parsed.
        var keys: [String] = []
        try JSONObjectStream(.file(path), streaming: "participants").read(member: { key, _ in keys.append(key) }, element: nil)
        #expect(keys == ["contract", "currency", "sites", "taxThreshold", "totals"])
    }

    @Test func whitespaceBetweenTokensAndAnEmptyArrayAreRead() throws {
        var elements: [JSONValue] = [], members: [String: JSONValue] = [:]
        try JSONObjectStream(.bytes(Array(" { \"a\" : [ 1 , \"x]\" ] ,\n \"participants\" : [ ] , \"b\":true } ".utf8)), streaming: "participants")
            .read(member: { members[$0] = $1 }, element: { elements.append($0) })
        #expect(members == ["a": [1, "x]"], "b": true] && elements.isEmpty)
        // A member of the streamed name that is not an array is an ordinary member.
        try JSONObjectStream(.bytes(Array(#"{"participants":7}"#.utf8)), streaming: "participants").read(member: { members[$0] = $1 }, element: { elements.append($0) })
        #expect(members["participants"] == 7 && elements.isEmpty)
    }

    @Test(arguments: [
        #"[1]"#, #"{"a":1,"a":2}"#, #"{"participants":[1,2}"#, #"{"participants":[1,2"#, #"{"a":"unterminated"#, #"{"a":1} x"#,
        #"{"participants":[{"a":01}]}"#, #"{"participants":[{"a":1,"a":1}]}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{"a":tru}"#, #"{a:1}"#, "",
        #"{"participants":[1.5]}"#, #"{"participants":[1 2]}"#, #"{"x":"\q"}"#,
    ])
    func malformedInputIsRefusedWithItsOffset(_ text: String) throws {
        do {
            try JSONObjectStream(.bytes(Array(text.utf8)), streaming: "participants").read(member: { _, _ in }, element: { _ in })
            Issue.record("accepted \(text)")
        } catch let AttestationError.malformedJSON(why) {
            #expect(why.contains("byte"), "\(why)")
        }
    }

    @Test func aFileCutInTheMiddleOfAnElementIsRefused() throws {
        let bytes = CanonicalJSON.encode(Self.object)
        let path = try temporaryFile(Array(bytes[..<((1 << 20) + 17)]))
        defer { unlink(path) }
        #expect(throws: AttestationError.self) {
            try JSONObjectStream(.file(path), streaming: "participants").read(member: { _, _ in }, element: { _ in })
        }
        #expect(throws: HashingOutput.Failure.self) {
            try JSONObjectStream(.file(path + ".missing"), streaming: "participants").read(member: { _, _ in }, element: { _ in })
        }
    }

    /// The head and tail around streamed elements give the bytes of encoding the whole object,
    /// with member names ordered by UTF-16 code units (U+FF61 sorts after U+10000's surrogates).
    @Test func headElementsAndTailAreTheCanonicalBytesOfTheWhole() {
        let cases: [([String: JSONValue], [String: JSONValue], [JSONValue])] = [
            (["contract": ["b": 1, "a": "x"], "currency": "EUR"], ["sites": [], "taxThreshold": .null, "totals": [1]], [1, "two", ["k": [3]]]),
            ([:], [:], []),
            (["a": 1], [:], [[:]]),
            ([:], ["z": "\u{FF61}", "\u{10000}": 2, "\u{FF61}": 3], ["\u{01}"]),
        ]
        for (before, after, elements) in cases {
            var whole = before.merging(after) { first, _ in first }
            whole["participants"] = .array(elements)
            var streamed = CanonicalJSON.objectHead(before, arrayKey: "participants")
            for (offset, element) in elements.enumerated() {
                if offset > 0 { streamed.append(UInt8(ascii: ",")) }
                streamed += CanonicalJSON.encode(element)
            }
            streamed += CanonicalJSON.objectTail(after, arrayKey: "participants")
            #expect(streamed == CanonicalJSON.encode(.object(whole)))
        }
        #expect(CanonicalJSON.precedes("\u{10000}", "\u{FF61}") && !CanonicalJSON.precedes("\u{FF61}", "\u{10000}"))
    }

    /// The fast byte comparison orders member names exactly as UTF-16 code units do.
    @Test func memberNamesSortByUTF16CodeUnits() {
        let names = ["", "a", "ab", "b", "é", "\u{7FF}", "\u{800}", "\u{E000}", "\u{FF61}", "\u{FFFF}", "\u{10000}", "\u{1F600}",
                     "a\u{FF61}", "a\u{10000}", "a\u{FF61}b", "\u{FF61}\u{10000}", "\u{10000}\u{FF61}", "z", "\u{EFFF}", "\u{F0000}"]
        for a in names {
            for b in names {
                #expect(CanonicalJSON.precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(a.unicodeScalars.map(\.value)) \(b.unicodeScalars.map(\.value))")
            }
        }
    }

    /// Memory, file and digest-only outputs agree on the digest and size; spools copy in; a
    /// temporary file goes away with its output unless it was kept.
    @Test func outputsHashWhatTheyWriteWhereverTheyWriteIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outputs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let chunk = Array(repeating: UInt8(ascii: "x"), count: 300_000)
        func fill(_ output: HashingOutput) throws {
            let spool = try output.spool()
            spool.write("spooled é")
            for _ in 0..<5 { output.write(chunk) }
            output.write("tail")
            try output.write(contentsOf: spool)
        }
        let memory = HashingOutput(), digestOnly = HashingOutput.digestOnly(spoolingIn: folder)
        var file: HashingOutput? = try HashingOutput(temporaryFileIn: folder)
        for output in [memory, digestOnly, file!] { try fill(output) }
        let expected = memory.bytes
        #expect(expected.count == 5 * 300_000 + 4 + "spooled é".utf8.count)
        let digest = SHA256.hash(data: expected).map { String(format: "%02x", $0) }.joined()
        for output in [memory, digestOnly, file!] {
            #expect(try output.finish() == HashingOutput.Summary(sha256: digest, byteCount: Int64(expected.count)))
        }
        let path = try #require(file?.path)
        #expect(FileManager.default.contents(atPath: path) == Data(expected))
        file = nil
        #expect(!FileManager.default.fileExists(atPath: path), "the temporary file goes with its output")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "spools go too")

        let kept = try HashingOutput(temporaryFileIn: folder)
        kept.write("kept")
        try kept.finish()
        let keptPath = try #require(kept.path)
        kept.keepFile()
        _ = kept
        #expect(FileManager.default.fileExists(atPath: keptPath))
        #expect(throws: HashingOutput.Failure.self) { try HashingOutput(temporaryFileIn: "/proc/no-such-folder") }
    }
}
