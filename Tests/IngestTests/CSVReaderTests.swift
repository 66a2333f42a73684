import Foundation
import Testing
@testable import Ingest

enum Corpus {
    static func url(_ path: String) -> URL {
        Bundle.module.url(forResource: "Corpus", withExtension: nil)!.appendingPathComponent(path)
    }

    static func records(_ path: String) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        try CSVReader(url: url(path), displayName: path).forEachRecord { records.append($0) }
        return records
    }
}

func records(of text: String, limit: Int = 1 << 20) throws -> [CSVRecord] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
    try Data(text.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    var out: [CSVRecord] = []
    try CSVReader(url: file, displayName: "t.csv", maximumFieldBytes: limit).forEachRecord { out.append($0) }
    return out
}

@Suite("CSV corpus (csv-spectrum, csvkit, REDCapR)")
struct CSVCorpusTests {
    static let withExpectations = [
        "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "newlines", "newlines_crlf",
        "quotes_and_newlines", "simple", "simple_crlf", "utf8",
    ]

    @Test(arguments: withExpectations)
    func parsesAsItsExpectedJSON(name: String) throws {
        let parsed = try Corpus.records("csv/\(name).csv")
        let expected = try JSONDecoder().decode([[String: String]].self, from: Data(contentsOf: Corpus.url("csv/\(name).expected.json")))
        let header = parsed[0].fields
        let rows = parsed.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.fields)) }
        #expect(Array(rows) == expected)
        #expect(parsed.dropFirst().allSatisfy { $0.fields.count == header.count })
    }

    @Test func lineNumbersAreWhereEachRecordStarts() throws {
        #expect(try Corpus.records("csv/newlines.csv").map(\.line) == [1, 2, 3, 5])
        #expect(try Corpus.records("csv/newlines_crlf.csv").map(\.line) == [1, 2, 3, 5])
        #expect(try Corpus.records("csv/newlines_crlf.csv")[2].fields[0] == "Once upon \r\na time")
        let mac = try Corpus.records("csv/csvkit_mac_newlines.csv")
        #expect(mac.count == 3)
        #expect(mac[2].fields == ["Once upon\ra time", "5", "6"])
    }

    @Test func byteOrderMarkIsDroppedFromTheFirstHeader() throws {
        let parsed = try Corpus.records("csv/csvkit_test_utf8_bom.csv")
        #expect(parsed.map(\.fields) == [["foo", "bar", "baz"], ["1", "2", "3"], ["4", "5", "ʤ"]])
    }

    @Test func raggedRowsAreReturnedAsTheyAre() throws {
        let parsed = try Corpus.records("csv/csvkit_bad.csv")
        #expect(parsed.map(\.fields.count) == [3, 4, 2, 3])
        #expect(parsed.map(\.line) == [1, 2, 3, 4])
        #expect(try Corpus.records("csv/csvkit_test_empty_columns_short_row.csv").map(\.fields.count) == [3, 2])
        #expect(try Corpus.records("csv/csvkit_test_empty_columns_long_row.csv").map(\.fields.count) == [3, 4])
    }

    @Test func nullTokensStayLiteralText() throws {
        #expect(try Corpus.records("csv/csvkit_blanks.csv")[1].fields == ["", "NA", "N/A", "NONE", "NULL", "."])
        #expect(try Corpus.records("csv/csvkit_optional_quote_characters.csv")[1].fields == ["1", "2", "3"])
    }

    @Test func aRealREDCapExportParses() throws {
        let parsed = try Corpus.records("csv/redcap_longitudinal_data.csv")
        #expect(parsed.count == 19)
        #expect(parsed.allSatisfy { $0.fields.count == 125 })
        #expect(try Corpus.records("csv/redcap_longitudinal_event.csv").count == 13)
    }

    @Test func wrongEncodingsAndBytesAreNamed() {
        #expect(throws: CSVError.utf16(file: "csv/csvkit_test_utf16_little.csv")) { try Corpus.records("csv/csvkit_test_utf16_little.csv") }
        #expect(throws: CSVError.invalidUTF8(file: "csv/csvkit_test_latin1.csv", line: 3, column: 3)) { try Corpus.records("csv/csvkit_test_latin1.csv") }
        #expect(throws: CSVError.nulByte(file: "csv/csvkit_null_byte.csv", line: 2, column: 1)) { try Corpus.records("csv/csvkit_null_byte.csv") }
        // A bare quote inside an unquoted field is not RFC 4180.
        #expect { try Corpus.records("csv/location_coordinates.csv") } throws: { error in
            if case .malformed(_, line: 2, _) = error as? CSVError { return true }
            return false
        }
    }
}

@Suite("CSV reader on hostile input")
struct CSVHostileInputTests {
    @Test func unterminatedQuoteAtTheEndIsAnError() {
        #expect { try records(of: "a,b\n1,\"never closed\n2,3\n") } throws: { error in
            if case .malformed(_, line: 2, _) = error as? CSVError { return true }
            return false
        }
    }

    @Test func textAfterAClosingQuoteIsAnError() {
        #expect { try records(of: "a,b\n1,\"x\"y\n") } throws: { error in
            if case .malformed(_, line: 2, _) = error as? CSVError { return true }
            return false
        }
    }

    @Test func hugeFieldsAreRefusedNotTruncated() throws {
        let big = String(repeating: "x", count: 5000)
        #expect(throws: CSVError.fieldTooLong(file: "t.csv", line: 2, column: 2, limit: 4096)) {
            try records(of: "a,b\n1,\(big)\n", limit: 4096)
        }
        #expect(try records(of: "a,b\n1,\(big)\n")[1].fields[1].count == 5000)
    }

    @Test func spacesAreKeptAndEmptyFilesRefused() throws {
        #expect(try records(of: "a,b\n  1 ,\t2\n")[1].fields == ["  1 ", "\t2"])
        #expect(throws: CSVError.empty(file: "t.csv")) { try records(of: "") }
        #expect(try records(of: "a,b\n\n\n1,2\n").map(\.line) == [1, 4])
    }

    @Test func recordsSpanningReadChunksKeepTheirLines() throws {
        // More than one 1 MiB read: lines must still count across chunk boundaries.
        var text = "id,value\n"
        for i in 0..<60_000 { text += "\(i),\"multi\nline \(i)\"\r\n" }
        let parsed = try records(of: text)
        #expect(parsed.count == 60_001)
        #expect(parsed[59_999].line == 2 + 59_998 * 2)
        #expect(parsed.last!.fields == ["59999", "multi\nline 59999"])
    }

    @Test func theObserverSeesEveryByteParsedInOrder() throws {
        // A BOM, CRLF and a quoted line break, over more than one 1 MiB read: what a stage hashes
        // and stores must be the whole file, byte for byte, not what is left after the BOM.
        var text = "\u{FEFF}id,value\r\n"
        for i in 0..<120_000 { text += "\(i),\"a\nb \(i)\"\r\n" }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var seen: [UInt8] = [], chunks = 0, rows = 0
        try CSVReader(url: file, displayName: "t.csv").forEachRow(observing: { seen.append(contentsOf: $0); chunks += 1 }) { _ in rows += 1 }
        #expect(seen == Array(text.utf8))
        #expect(chunks > 1 && rows == 120_001)
        // An observer that fails stops the read with its error.
        struct Stop: Error {}
        #expect(throws: Stop.self) { try CSVReader(url: file, displayName: "t.csv").forEachRow(observing: { _ in throw Stop() }) { _ in } }
    }
}
