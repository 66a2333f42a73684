import Attestation
import Contracts

/// The JSON report: `{"<type>": <the contract output>, "context": …, "report": "<type>"}` in
/// RFC 8785 form, written as the output is read: its members, then its participants each
/// re-encoded canonically, so the bytes are those of encoding the whole value at once.
enum JSONReport {
    static func write(type: String, _ output: ContractOutputSource, members: [String: JSONValue], context: ReportContext, into out: HashingOutput) throws {
        let key = ContractOutput.participantsKey
        let report: [String: JSONValue] = ["context": context.json, "report": .string(type), type: .null]
        out.write("{")
        for (offset, name) in report.keys.sorted(by: CanonicalJSON.precedes).enumerated() {
            if offset > 0 { out.write(",") }
            var label: [UInt8] = []
            CanonicalJSON.appendString(name, to: &label)
            out.write(label + [UInt8(ascii: ":")])
            guard name == type else {
                out.write(CanonicalJSON.encode(report[name]!))
                continue
            }
            out.write(CanonicalJSON.objectHead(members.filter { CanonicalJSON.precedes($0.key, key) }, arrayKey: key))
            var first = true
            try output.participants { participant in
                if !first { out.write(",") }
                first = false
                out.write(CanonicalJSON.encode(participant))
            }
            out.write(CanonicalJSON.objectTail(members.filter { CanonicalJSON.precedes(key, $0.key) }, arrayKey: key))
        }
        out.write("}")
    }
}
