import Attestation
import Audit
import Contracts
import Foundation
import Ingest
import Pipeline
import SignedNote

/// One parser fed arbitrary bytes. Errors are the expected outcome for bad input; a crash, a
/// hang or an invariant that does not hold is a finding.
enum FuzzTargets {
    static let names = ["csv", "odm", "consent", "checkpoint", "proof", "pipeline", "contract", "json"]

    /// A scratch file per process, for the readers that take a path.
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("trialchain-fuzz-\(getpid())")

    static func file(_ bytes: [UInt8], _ name: String) -> URL {
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let url = scratch.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }

    static func run(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "csv":
            _ = try? CSVReader(url: file(bytes, "in.csv"), displayName: "in.csv", maximumFieldBytes: 4096).forEachRecord { _ in }
        case "odm":
            _ = try? ODMProtocolReader().read(bytes: bytes, displayName: "in.xml")
        case "consent":
            _ = try? ConsentReader().read(url: file(bytes, "in.json"), displayName: "in.json")
        case "checkpoint":
            if let note = try? SignedNote(parsing: bytes) {
                _ = try? Checkpoint(parsing: note.text)
                // Invariant: a parsed note serialises back to what was read.
                precondition(Array(note.serialized.utf8) == bytes, "a signed note does not round-trip")
            }
        case "proof":
            if let value = try? JSONValue.parse(bytes), let proof = try? RecordProof(json: value) { _ = try? proof.verify() }
        case "pipeline":
            _ = try? PipelineFile(url: file(bytes, "in.yml"), displayName: "in.yml")
        case "contract":
            _ = try? ContractFile(text: String(decoding: bytes, as: UTF8.self), file: "in.yml")
        case "json":
            // Invariant: canonical JSON parses back to the same value and is a fixed point.
            if let value = try? JSONValue.parse(bytes) {
                let canonical = CanonicalJSON.encode(value)
                let again = try? JSONValue.parse(canonical)
                precondition(again == value, "canonical JSON does not parse back to the same value")
                precondition(CanonicalJSON.encode(again!) == canonical, "canonical JSON is not a fixed point")
            }
        default:
            fatalError("unknown fuzz target \(target); known: \(names.joined(separator: ", "))")
        }
    }
}
