import Foundation
import Testing
@testable import Attestation

@Suite("The JSON parser")
struct JSONParserTests {
    @Test func itAgreesWithFoundationsDecoderOnRealDocuments() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = repository.appendingPathComponent("SampleData/consents")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count > 50)
        for name in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            #expect(try JSONValue.parse(data) == (try JSONDecoder().decode(JSONValue.self, from: data)), "\(name)")
        }
    }

    @Test(arguments: [
        ("1.0", 1), ("1.50e1", 15), ("-0", 0), ("0.0", 0), ("1e3", 1000), ("-1E+2", -100),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("0.0000000000000000001e19", 1),
    ] as [(String, Int64)])
    func integralNumbersInAnyFormAreIntegers(text: String, value: Int64) throws {
        #expect(try JSONValue.parse(Array(text.utf8)) == .integer(value))
    }

    @Test(arguments: [
        "9223372036854775808", "-9223372036854775809", "1e19", "1e-1", "0.5", "01", "-", "1.", ".5", "1e", "+1", "1e99999",
        #"{"a":1,"a":2}"#, #""\ud800""#, #""\udc00x""#, "\"\u{01}\"", #""\x""#, "[1,]", "{,}", "[1 2]", "tru", "nulll", "\"abc",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func malformedOrOutOfRangeJSONIsRefused(text: String) {
        #expect(throws: AttestationError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func escapesAndUTF8AreDecoded() throws {
        #expect(try JSONValue.parse(Array(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é""#.utf8)) == .string("a\"\\/\u{8}\u{c}\n\r\té😀é"))
        #expect(throws: AttestationError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(try JSONValue.parse(Array(" \n\t{ \"k\" : [ true , false , null ] } \r\n".utf8)) == ["k": [true, false, nil]])
    }
}
