import Foundation
import Testing
@testable import Attestation

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    @Test func stringEscapingFollowsTheRFCExample() throws {
        // RFC 8785 §3.2.2.2: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/" → "€$\u000f\nA'B\"\\\\\"/"
        let input = #""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#
        let value = try JSONValue.parse(Array(input.utf8))
        #expect(CanonicalJSON.string(value) == #""€$\u000f\nA'B\"\\\\\"/""#)
    }

    @Test func everyByteContainerEscapesTheSame() {
        for text in ["plain", "", "quote \" here", "back\\slash", "tab\tnew\nline", "\u{1}\u{1f}", "€ and 😀", "end\\"] {
            var fromString: [UInt8] = [], fromArray: [UInt8] = [], fromLazy: [UInt8] = []
            CanonicalJSON.appendString(text, to: &fromString)
            CanonicalJSON.appendString(utf8: Array(text.utf8), to: &fromArray)
            CanonicalJSON.appendString(utf8: text.utf8.lazy.map { $0 }, to: &fromLazy)   // not contiguous
            #expect(fromString == fromArray && fromString == fromLazy, "\(text)")
            #expect(String(decoding: fromString, as: UTF8.self) == CanonicalJSON.string(.string(text)))
        }
        var out: [UInt8] = []
        CanonicalJSON.appendString("a\"b\\c\u{7}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\u0007""#)
    }

    @Test func keysSortByUTF16CodeUnits() throws {
        // RFC 8785 §3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33.
        let input = #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","</script>":"Browser Challenge"}"#
        let value = try JSONValue.parse(Array(input.utf8))
        let keys = ["\r", "1", "</script>", "\u{80}", "ö", "€", "😀", "\u{FB33}"]
        let expected = "{" + keys.map { key in
            CanonicalJSON.string(.string(key)) + ":" + CanonicalJSON.string(value[key]!)
        }.joined(separator: ",") + "}"
        #expect(CanonicalJSON.string(value) == expected)
    }

    @Test func whitespaceIsDroppedAndNestingIsSorted() throws {
        let value = try JSONValue.parse(Array(#" { "b" : [ 1 , true , null , { "z":1, "a":-2 } ] , "a" : "x" } "#.utf8))
        #expect(CanonicalJSON.string(value) == #"{"a":"x","b":[1,true,null,{"a":-2,"z":1}]}"#)
    }

    @Test(arguments: ["1.5", "1.5e-3", "99999999999999999999", "{\"a\":0.1}", "[1,", "{\"a\" 1}", "\"unterminated", "", "nul"])
    func nonIntegerNumbersAndBrokenJSONAreRefused(text: String) {
        #expect(throws: AttestationError.self) { try JSONValue.parse(Array(text.utf8)) }
    }
}

@Suite("Canonical numbers")
struct CanonicalNumberTests {
    @Test func integralExponentFormsCanonicaliseToPlainIntegers() throws {
        // RFC 8785 serialises numbers as ECMAScript does: 1e3 is 1000, -0 is 0.
        #expect(CanonicalJSON.string(try JSONValue.parse(Array("[1e3,-0,10]".utf8))) == "[1000,0,10]")
    }
}
