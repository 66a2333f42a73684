import Attestation

/// Writes RFC 4180 CSV row by row: CRLF line ends, fields quoted when they hold a comma, quote or
/// line break.
struct CSVTable {
    let out: HashingOutput

    init(header: [String], into out: HashingOutput) {
        self.out = out
        row(header)
    }

    func row(_ fields: [String]) {
        out.write(fields.map(CSVTable.escape).joined(separator: ",") + "\r\n")
    }

    static func escape(_ field: String) -> String {
        // By bytes: reports write millions of fields, and walking Characters costs a quarter of that.
        guard field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
