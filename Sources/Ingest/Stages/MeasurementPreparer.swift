import Crypto
import Foundation
import MerkleLog
import Workspace

/// What the measurement stage's reader thread hands to the thread that writes.
enum PreparedMeasurement: Sendable {
    /// An accepted row: its record, canonical bytes and leaf hash, and the salt created for a
    /// participant first seen (to be stored before the record).
    case record(StageRecord, canonical: [UInt8], leaf: TreeHash, newSalt: [UInt8]?)
    /// A rejected row.
    case reject(StageReject)
    /// The end of input file `index`.
    case endOfFile(index: Int)
}

/// The reader side of the measurement stage, run on a thread of its own: streams each CSV,
/// checks every row against the protocol and the consents, and prepares accepted rows down to
/// their leaf hashes, so that the writing thread only stores them. Batches go through a bounded
/// channel, so memory does not grow with the file.
struct MeasurementPreparer: Sendable {
    let files: [InputFile]
    let layout: MeasurementLayout
    let validator: MeasurementValidator
    let consents: ConsentIndex
    static let batchSize = 4096

    func run(salts known: [String: String], into channel: BatchChannel<PreparedMeasurement>) {
        var salts = known
        var batch: [PreparedMeasurement] = []
        batch.reserveCapacity(MeasurementPreparer.batchSize)
        struct Cancelled: Error {}
        func emit(_ item: PreparedMeasurement) throws {
            batch.append(item)
            if batch.count >= MeasurementPreparer.batchSize {
                guard channel.send(batch) else { throw Cancelled() }
                batch.removeAll(keepingCapacity: true)
            }
        }
        do {
            for (index, file) in files.enumerated() {
                let artifactName = "measurements/\(file.baseName)"
                var positions: [String: Int]?
                var width = 0
                try CSVReader(url: file.url, displayName: file.name).forEachRecord { record in
                    guard let columns = positions else {
                        positions = try layout.positions(header: record.fields, file: file.name)
                        width = record.fields.count
                        return
                    }
                    func reject(_ field: String, _ reason: String) throws {
                        try emit(.reject(StageReject(file: file.name, line: record.line, field: field, reason: reason,
                                                     raw: record.fields.joined(separator: ","))))
                    }
                    guard record.fields.count == width else {
                        try reject("(row)", "expected \(width) fields as in the header, found \(record.fields.count)")
                        return
                    }
                    func field(_ name: String) -> String { columns[name].map { record.fields[$0] } ?? "" }
                    let participant = field("participant"), visit = field("visit"), item = field("item")
                    let value = field("value"), unit = columns["unit"] == nil ? nil : field("unit"), collected = field("collected_at")
                    guard !participant.isEmpty else { try reject(layout.columns["participant"]!, "empty"); return }
                    guard let time = TrialTime(collected) else {
                        try reject(layout.columns["collected_at"]!, "\"\(collected)\" is not an ISO 8601 date-time with a time zone")
                        return
                    }
                    if let problem = validator.problem(visit: visit, item: item, value: value, unit: unit) {
                        try reject(layout.columns[problem.field] ?? problem.field, problem.reason)
                        return
                    }
                    if let problem = consents.problem(participant: participant, at: time) {
                        try reject(layout.columns["collected_at"]!, problem)
                        return
                    }
                    var newSalt: [UInt8]?
                    let saltHex: String
                    if let known = salts[participant] {
                        saltHex = known
                    } else {
                        let salt = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
                        saltHex = Hex.encode(salt)
                        salts[participant] = saltHex
                        newSalt = salt
                    }
                    let site = field("site")
                    let collectedAt = time.description
                    let content = Ingestor.measurementBytes(participant: participant, site: site, visit: visit, item: item,
                                                            value: value, unit: unit, collectedAt: collectedAt)
                    let canonical = StageWriter.canonicalBytes(contentBytes: content, saltHex: saltHex)
                    let stored = StageRecord(artifact: artifactName, participant: participant, site: site, visit: visit, item: item,
                                             value: value, unit: unit, observedAt: collectedAt, sourceFile: file.name,
                                             sourceLine: record.line, content: .null)
                    try emit(.record(stored, canonical: canonical, leaf: RFC6962.leafHash(canonical), newSalt: newSalt))
                }
                if positions == nil { throw CSVError.empty(file: file.name) }
                try emit(.endOfFile(index: index))
            }
            if !batch.isEmpty, !channel.send(batch) { throw Cancelled() }
            channel.finish(nil)
        } catch is Cancelled {
            channel.finish(nil)
        } catch {
            channel.finish(error)
        }
    }
}
