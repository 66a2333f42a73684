import Testing
@testable import Ingest

@Suite("The measurement stage's participant table")
struct ParticipantTableTests {
    static func salt(_ n: Int) -> [UInt8] {
        Array(String(repeating: String(n % 16, radix: 16), count: 64).utf8)
    }

    @Test func findsEveryParticipantByItsBytesAcrossGrowth() {
        var table = ParticipantTable()
        let names = (0..<5_000).map { "P-\($0)" } + ["", "P-ü", "P-1 "]
        for (n, name) in names.enumerated() {
            let period = n % 3 == 0 ? nil : ConsentIndex.Period(from: TrialTime(epochSeconds: Int64(n)), until: nil)
            let index = Array(name.utf8).withUnsafeBytes { bytes in
                Self.salt(n).withUnsafeBytes { table.insert(name: bytes, saltHex: $0, period: period) }
            }
            #expect(index == n)
        }
        #expect(table.count == names.count)
        for (n, name) in names.enumerated() {
            let found = Array(name.utf8).withUnsafeBytes { table.index(of: $0) }
            #expect(found == n, "\(name)")
            #expect(table.withSaltHex(n) { Array($0) } == Self.salt(n))
            #expect(table.period(n)?.from.epochSeconds == (n % 3 == 0 ? nil : Int64(n)))
            #expect(Array(name.utf8).withUnsafeBytes { table.name(n, equals: $0) })
        }
        for missing in ["P-5000", "P-", "p-1", "P-1  ", "P-u"] {
            #expect(Array(missing.utf8).withUnsafeBytes { table.index(of: $0) } == nil, "\(missing)")
        }
    }
}
