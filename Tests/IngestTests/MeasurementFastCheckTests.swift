import Foundation
import Testing
@testable import Ingest

/// The byte-level fast check may only ever say "acceptable" where the validator says so too; it
/// must also actually take the common rows (or ingest would be slow for nothing).
@Suite("Measurement fast check agrees with the validator")
struct MeasurementFastCheckTests {
    static func trialProtocol() throws -> TrialProtocol {
        var model = try protocolReader.read(url: sampleData.appendingPathComponent("protocol.xml"))
        typealias Item = TrialProtocol.Item
        typealias Check = TrialProtocol.RangeCheck
        model.items += [
            Item(oid: "IT.FLAG", name: "flag", dataType: "boolean", rangeChecks: []),
            Item(oid: "IT.DAY", name: "day", dataType: "date", rangeChecks: []),
            Item(oid: "IT.NOTE", name: "note", dataType: "text", length: 4, rangeChecks: []),
            Item(oid: "IT.FREE", name: "free", dataType: "string", rangeChecks: []),
            Item(oid: "IT.ODD", name: "odd", dataType: "hexBinary", rangeChecks: []),
            Item(oid: "IT.SET", name: "set", dataType: "integer", rangeChecks: [Check(comparator: "IN", values: ["1", "3"], hard: true)]),
            Item(oid: "IT.NE", name: "ne", dataType: "float", rangeChecks: [Check(comparator: "NE", values: ["0"], hard: true),
                                                                            Check(comparator: "LT", values: ["10.5"], hard: true),
                                                                            Check(comparator: "GT", values: ["-3"], hard: false)]),
            Item(oid: "IT.LONGBOUND", name: "long bound", dataType: "float", rangeChecks: [Check(comparator: "LE", values: ["1.0000000000000001"], hard: true)]),
        ]
        return model
    }

    static let values = [
        "", "0", "1", "3", "-1", "+1", "-", "+", "007", "60", "59", "250", "251", "1.", ".5", ".", "1.5.1", "1e3", "0x1", " 1", "1 ",
        "１", "٣", "10.5", "10.4999", "-3", "-2.9", "Y", "N", "y", "YES", "ARM.A", "ARM.C", "true", "false", "TRUE", "2026-02-30",
        "2026-02-28", "abcd", "abcde", "ab\r\ncd", "é", "e\u{301}", "999999999999999999", "9999999999999999999", "1.0000000000000001",
        "1.0000000000000002", "12345678901234567890.5", "\"", "a,b",
    ]
    static let units: [String?] = [nil, "", "mmHg", "kg", "mmhg"]

    @Test func itNeverAcceptsWhatTheValidatorRejects() throws {
        let model = try MeasurementFastCheckTests.trialProtocol()
        let validator = MeasurementValidator(model)
        let fast = MeasurementFastCheck(model)
        let visits = model.visits.map(\.oid) + ["SE.NOPE", ""]
        let items = model.items.map(\.oid) + ["IT.NOPE"]
        var checked = 0, fastAccepted = 0, validatorAccepted = 0
        for visit in visits {
            for item in items {
                for value in MeasurementFastCheckTests.values {
                    for unit in MeasurementFastCheckTests.units {
                        let accepted = bytes(visit) { v in bytes(item) { i in bytes(value) { va in
                            guard let unit else { return fast.accepts(visit: v, item: i, value: va, unit: nil) }
                            return bytes(unit) { u in fast.accepts(visit: v, item: i, value: va, unit: u) }
                        } } }
                        let problem = validator.problem(visit: visit, item: item, value: value, unit: unit)
                        if problem == nil { validatorAccepted += 1 }
                        if accepted {
                            #expect(problem == nil, "fast check accepted \(visit) \(item) \"\(value)\" \(unit ?? "-"): \(problem?.reason ?? "")")
                            fastAccepted += 1
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 30_000)
        // It leaves dates, IN checks, long bounds and non-ASCII to the validator, and takes the rest.
        #expect(fastAccepted * 10 > validatorAccepted * 7, "fast \(fastAccepted) of \(validatorAccepted) acceptable")
    }

    @Test func theSampleRowsTakeTheFastPath() throws {
        let model = try protocolReader.read(url: sampleData.appendingPathComponent("protocol.xml"))
        let validator = MeasurementValidator(model)
        let fast = MeasurementFastCheck(model)
        var rows = 0, fastRows = 0
        try CSVReader(url: sampleData.appendingPathComponent("measurements/site-101.csv")).forEachRow { row in
            rows += 1
            guard rows > 1, row.count == 7 else { return }
            let unit = row.string(5)
            guard validator.problem(visit: row.string(2), item: row.string(3), value: row.string(4), unit: unit) == nil else { return }
            if fast.accepts(visit: row[2], item: row[3], value: row[4], unit: row[5]) { fastRows += 1 }
        }
        #expect(rows > 1_000 && fastRows > (rows * 9) / 10)
    }

    @Test(arguments: ["2026-01-21T14:11:00Z", "2024-02-29T23:59:59Z", "1999-12-31T00:00:00Z"])
    func canonicalTimesParseAsTheGeneralParser(_ text: String) throws {
        let fast = try #require(bytes(text) { TrialTime(canonicalUTC: $0) })
        #expect(fast == TrialTime(text) && fast.description == text)
    }

    @Test(arguments: ["2026-01-21T14:11:00+01:00", "2026-01-21T14:11Z", "2026-02-30T10:00:00Z", "2026-01-21T24:00:00Z",
                      "2026-01-21T14:11:00.5Z", "2026-01-21 14:11:00Z", "2026-01-21T14:11:60Z"])
    func otherTimesAreLeftToTheGeneralParser(_ text: String) {
        #expect(bytes(text) { TrialTime(canonicalUTC: $0) } == nil)
    }

    func bytes<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        Array(text.utf8).withUnsafeBytes(body)
    }
}
