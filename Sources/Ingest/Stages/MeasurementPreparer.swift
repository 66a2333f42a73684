import Attestation
import Crypto
import Foundation
import MerkleLog
import Workspace

/// What the measurement stage's reader thread hands to the thread that writes: accepted rows
/// down to their leaf hashes, rejects, and the files read to their end (with their counts).
struct PreparedChunk: Sendable {
    var batch: MeasurementBatch
    var rejects: [StageReject] = []
    /// Accepted rows that fail a soft range check: kept, and flagged in their file's artifact.
    var warnings: [(file: Int, line: Int, field: String, reason: String)] = []
    /// Files read to their end, with the copy made from the bytes parsed.
    var finishedFiles: [(index: Int, records: Int, rejects: Int, copy: SourceCopy)] = []

    /// - parameter tree: the record tree so far (the previous chunk's).
    init(continuing tree: TileAppender = TileAppender()) {
        batch = MeasurementBatch(capacity: MeasurementPreparer.batchSize, continuing: tree)
    }
}

/// A source file as the reader thread read it: copied into a temporary file of the object
/// store while parsed, and checked against the SHA-256 the stage recorded for it. Handed with
/// its chunk to the writing thread, which moves it into the store; the reader never touches it
/// again (hence unchecked).
struct SourceCopy: @unchecked Sendable {
    let output: HashingOutput
}

/// The reader side of the measurement stage, run on a thread of its own: streams each CSV,
/// checks every row against the protocol and the consents, and prepares accepted rows down to
/// their leaf hashes, so that the writing thread only stores them. Chunks go through a bounded
/// channel, so memory does not grow with the file.
///
/// The common row (known visit and item, a plain value, a `…Z` time) is checked and hashed from
/// the CSV buffer's bytes without allocating (`MeasurementFastCheck`); any other row takes the
/// validator's path, which decides and explains.
struct MeasurementPreparer: Sendable {
    let files: [InputFile]
    let layout: MeasurementLayout
    let validator: MeasurementValidator
    let fastCheck: MeasurementFastCheck
    let consents: ConsentIndex
    /// The site a file was submitted for (by file index): its rows of other sites are rejected.
    let sites: [Int: [UInt8]]
    /// Where sources are copied as they are read.
    let objects: ObjectStore
    static let batchSize = 8192

    init(files: [InputFile], layout: MeasurementLayout, validator: MeasurementValidator, consents: ConsentIndex, sites: [Int: [UInt8]] = [:],
         copyingInto objects: ObjectStore) {
        self.files = files
        self.objects = objects
        self.sites = sites
        self.layout = layout
        self.validator = validator
        self.fastCheck = MeasurementFastCheck(validator.trialProtocol)
        self.consents = consents
    }

    private struct Cancelled: Error {}

    /// The reader thread's working state. Only that thread touches it: no dynamic exclusivity
    /// checks on the hot path.
    final class State {
        @exclusivity(unchecked) var chunk = PreparedChunk()
        @exclusivity(unchecked) var participants: ParticipantTable
        @exclusivity(unchecked) var current = -1
        let consents: ConsentIndex

        init(participants: ParticipantTable, consents: ConsentIndex) {
            self.participants = participants
            self.consents = consents
        }

        /// The participant's index in `participants`; a participant first seen gets a salt,
        /// stored with the current chunk.
        func participant(_ bytes: UnsafeRawBufferPointer) -> Int {
            if current >= 0, participants.name(current, equals: bytes) { return current }
            if let known = participants.index(of: bytes) {
                current = known
                return known
            }
            // The salt is made when the participant's first row is accepted: one whose rows are
            // all rejected (never consented, erased, bad values) gets none, so every stored salt
            // is used by a record (an erased participant's salt stays destroyed).
            let name = String(decoding: bytes, as: UTF8.self)
            current = Array(repeating: UInt8(ascii: "0"), count: 64).withUnsafeBytes {
                participants.insert(name: bytes, saltHex: $0, period: consents.periods[name], pending: true)
            }
            return current
        }

        /// Adds an accepted row to the chunk.
        func accept(_ row: CSVRow, _ columns: Columns, participant: Int, collectedAt: UnsafeRawBufferPointer, file: Int) {
            if participants.needsSalt(participant) {
                let salt = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
                chunk.batch.addSalt(salt, for: participants.name(participant))
                participants.setSalt(participant, saltHex: Array(Hex.encode(salt).utf8))
            }
            participants.withSaltHex(participant) { saltHex in
                _ = chunk.batch.append(participant: row[columns.participant], site: columns.site.map { row[$0] } ?? Columns.empty,
                                       visit: row[columns.visit], item: row[columns.item], value: row[columns.value],
                                       unit: columns.unit.map { row[$0] }, collectedAt: collectedAt,
                                       saltHex: saltHex, file: file, line: row.line)
            }
        }

        /// Adds an accepted measurement given as strings (a row of another layout, turned into
        /// the long format's fields).
        func accept(participant: String, site: String, visit: String, item: String, value: String, unit: String?,
                    collectedAt: String, file: Int, line: Int) {
            let index = Array(participant.utf8).withUnsafeBytes { self.participant($0) }
            if participants.needsSalt(index) {
                let salt = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
                chunk.batch.addSalt(salt, for: participant)
                participants.setSalt(index, saltHex: Array(Hex.encode(salt).utf8))
            }
            let fields = [participant, site, visit, item, value, unit ?? "", collectedAt].map { Array($0.utf8) }
            participants.withSaltHex(index) { saltHex in
                fields[0].withUnsafeBytes { p in fields[1].withUnsafeBytes { s in fields[2].withUnsafeBytes { v in fields[3].withUnsafeBytes { i in
                    fields[4].withUnsafeBytes { va in fields[5].withUnsafeBytes { u in fields[6].withUnsafeBytes { c in
                        _ = chunk.batch.append(participant: p, site: s, visit: v, item: i, value: va, unit: unit == nil ? nil : u,
                                               collectedAt: c, saltHex: saltHex, file: file, line: line)
                    } } }
                } } } }
            }
        }
    }

    /// The participants whose salts are stored already, with their consent periods: read on the
    /// writing thread, before the reader starts.
    static func participants(storedBy writer: StageWriter, consents: ConsentIndex) throws -> ParticipantTable {
        var table = ParticipantTable()
        try writer.forEachStoredSalt { name, salt in
            let hex = Array(Hex.encode(salt).utf8)
            Array(name.utf8).withUnsafeBytes { bytes in
                hex.withUnsafeBytes { _ = table.insert(name: bytes, saltHex: $0, period: consents.periods[name]) }
            }
        }
        return table
    }

    func run(participants: ParticipantTable, into channel: BatchChannel<PreparedChunk>) {
        let state = State(participants: participants, consents: consents)
        func flush() throws {
            let tree = state.chunk.batch.tree
            guard channel.send([state.chunk]) else { throw Cancelled() }
            state.chunk = PreparedChunk(continuing: tree)
        }
        do {
            for (index, file) in files.enumerated() {
                let copy = try objects.newTemporaryOutput()
                if file.url.pathExtension.lowercased() == "xml" {
                    let (records, rejects) = try readODM(file, index: index, state, copyingInto: copy, flushIfFull: {
                        if state.chunk.batch.count + state.chunk.rejects.count >= MeasurementPreparer.batchSize { try flush() }
                    })
                    try MeasurementPreparer.check(copy, of: file)
                    state.chunk.finishedFiles.append((index, records, rejects, SourceCopy(output: copy)))
                    continue
                }
                if let redcap = layout.redcap {
                    let (records, rejects) = try readREDCap(file, index: index, redcap, state, copyingInto: copy, flushIfFull: {
                        if state.chunk.batch.count + state.chunk.rejects.count >= MeasurementPreparer.batchSize { try flush() }
                    })
                    try MeasurementPreparer.check(copy, of: file)
                    state.chunk.finishedFiles.append((index, records, rejects, SourceCopy(output: copy)))
                    continue
                }
                var columns: Columns?
                var records = 0, rejects = 0
                let submittedSite = sites[index]
                try CSVReader(url: file.url, displayName: file.name).forEachRow(observing: { copy.write($0) }) { row in
                    guard let columns else {
                        let found = Columns(try layout.positions(header: row.strings, file: file.name), width: row.count)
                        if submittedSite != nil, found.site == nil {
                            throw SubmissionError.fileMismatch(file: "submission for site \(String(decoding: submittedSite!, as: UTF8.self))", name: file.name,
                                                               reason: "the file has no \(layout.columns["site"] ?? "site") column, so its rows cannot be checked against the site that signed it")
                        }
                        columns = found
                        return
                    }
                    if let submittedSite, let site = columns.site, row.count == columns.width, !row[site].elementsEqual(submittedSite) {
                        let fields = row.strings
                        state.chunk.rejects.append(StageReject(file: file.name, line: row.line, field: layout.columns["site"] ?? "site",
                            reason: "a row of site \(fields[site]) in a file site \(String(decoding: submittedSite, as: UTF8.self)) signed: a site submits its own rows only",
                            raw: fields.joined(separator: ",")))
                        rejects += 1
                        if state.chunk.batch.count + state.chunk.rejects.count >= MeasurementPreparer.batchSize { try flush() }
                        return
                    }
                    if row.count == columns.width, let participant = fastPath(row, columns, state) {
                        state.accept(row, columns, participant: participant, collectedAt: row[columns.collectedAt], file: index)
                        records += 1
                    } else {
                        switch slowPath(row, columns, file: file) {
                        case let .rejected(reject):
                            state.chunk.rejects.append(reject)
                            rejects += 1
                        case let .accepted(collectedAt, warnings):
                            for warning in warnings { state.chunk.warnings.append((index, row.line, layout.columns["value"] ?? "value", warning)) }
                            let participant = state.participant(row[columns.participant])
                            collectedAt.withUnsafeBytes { state.accept(row, columns, participant: participant, collectedAt: $0, file: index) }
                            records += 1
                        }
                    }
                    if state.chunk.batch.count + state.chunk.rejects.count >= MeasurementPreparer.batchSize { try flush() }
                }
                if columns == nil { throw CSVError.empty(file: file.name) }
                try MeasurementPreparer.check(copy, of: file)
                state.chunk.finishedFiles.append((index, records, rejects, SourceCopy(output: copy)))
            }
            try flush()
            channel.finish(nil)
        } catch is Cancelled {
            channel.finish(nil)
        } catch {
            channel.finish(error)
        }
    }

    /// Checks that the bytes just parsed are the file the stage hashed before it began (and
    /// records as its material): a file changed while it is ingested fails the whole stage.
    /// - throws: `WorkspaceError.unreadableFile` when they differ; `WorkspaceError.storage` when
    ///   the copy could not be written.
    static func check(_ copy: HashingOutput, of file: InputFile) throws {
        let summary: HashingOutput.Summary
        do { summary = try copy.finish() } catch { throw WorkspaceError.storage("cannot copy \(file.name) into the workspace: \(error)") }
        guard summary.sha256 == file.sha256 else {
            throw WorkspaceError.unreadableFile(path: file.name, reason: "the file changed while it was being ingested (SHA-256 \(file.sha256) when the stage began, \(summary.sha256) as read): nothing of the stage was kept; ingest it again once it is complete")
        }
    }

    /// The common row, checked on its bytes: the participant's index when it is certainly acceptable.
    private func fastPath(_ row: CSVRow, _ columns: Columns, _ state: State) -> Int? {
        let who = row[columns.participant]
        guard !who.isEmpty, let time = TrialTime(canonicalUTC: row[columns.collectedAt]),
              fastCheck.accepts(visit: row[columns.visit], item: row[columns.item], value: row[columns.value],
                                unit: columns.unit.map { row[$0] }) else { return nil }
        let found = state.participant(who)
        guard let period = state.participants.period(found), time >= period.from, period.until.map({ time < $0 }) ?? true else { return nil }
        return found
    }

    /// What the validator made of a row.
    private enum Verdict {
        case rejected(StageReject)
        /// Accepted, with its collection time normalised to UTC, and the soft checks it fails.
        case accepted(collectedAt: [UInt8], warnings: [String])
    }

    /// Any other row, through the validator: its reject, or its normalised collection time.
    private func slowPath(_ row: CSVRow, _ columns: Columns, file: InputFile) -> Verdict {
        let fields = row.strings
        func reject(_ field: String, _ reason: String) -> Verdict {
            .rejected(StageReject(file: file.name, line: row.line, field: field, reason: reason, raw: fields.joined(separator: ",")))
        }
        guard fields.count == columns.width else {
            return reject("(row)", "expected \(columns.width) fields as in the header, found \(fields.count)")
        }
        let visit = fields[columns.visit], item = fields[columns.item], value = fields[columns.value]
        let unit = columns.unit.map { fields[$0] }, collected = fields[columns.collectedAt]
        guard !fields[columns.participant].isEmpty else { return reject(layout.columns["participant"]!, "empty") }
        guard let time = TrialTime(collected) else {
            return reject(layout.columns["collected_at"]!, "\"\(collected)\" is not an ISO 8601 date-time with a time zone")
        }
        if let problem = validator.problem(visit: visit, item: item, value: value, unit: unit) {
            return reject(layout.columns[problem.field] ?? problem.field, problem.reason)
        }
        if let problem = consents.problem(participant: fields[columns.participant], at: time) {
            return reject(layout.columns["collected_at"]!, problem)
        }
        return .accepted(collectedAt: Array(time.description.utf8), warnings: validator.softWarnings(item: item, value: value))
    }

    /// Where each field is in a file's rows.
    struct Columns {
        static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
        let width: Int
        let participant: Int, visit: Int, item: Int, value: Int, collectedAt: Int
        let site: Int?, unit: Int?

        init(_ positions: [String: Int], width: Int) {
            self.width = width
            participant = positions["participant"]!
            visit = positions["visit"]!
            item = positions["item"]!
            value = positions["value"]!
            collectedAt = positions["collected_at"]!
            site = positions["site"]
            unit = positions["unit"]
        }
    }
}
