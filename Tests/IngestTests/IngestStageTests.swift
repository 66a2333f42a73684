import Attestation
import Foundation
import GRDB
import MerkleLog
import Testing
@testable import Ingest
@testable import Workspace

/// The repository's SampleData folder (tests run from a clone, so it is always there).
let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("SampleData")

final class IngestSandbox {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)")
    let workspace: Workspace
    var ingestor: Ingestor { Ingestor(workspace: workspace) }

    init() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        workspace = try Workspace.create(at: root.appendingPathComponent("ws"), trialID: "DEMO-2026-001",
                                         origin: "example.org/trials/DEMO-2026-001",
                                         clock: TrialClock(fixed: Date(timeIntervalSince1970: 1_795_000_000)))
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func input(_ relative: String) throws -> InputFile {
        try InputFile(url: sampleData.appendingPathComponent(relative), name: "SampleData/" + relative)
    }

    func inputs(_ folder: String, _ ext: String) throws -> [InputFile] {
        let names = try FileManager.default.contentsOfDirectory(atPath: sampleData.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(ext) }.sorted()
        return try names.map { try input("\(folder)/\($0)") }
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> InputFile {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return try InputFile(url: url, name: name)
    }

    func ingestSample() throws {
        _ = try ingestor.ingestProtocol(try input("protocol.xml"))
        _ = try ingestor.ingestConsents(try inputs("consents", ".json"))
        _ = try ingestor.ingestMeasurements(try inputs("measurements", ".csv"))
    }

    /// Everything a failed stage must leave unchanged.
    func snapshot() throws -> [String] {
        let counts = try workspace.read { ledger in
            try ["ledger_entries", "ledger_checkpoints", "stage_runs", "stage_artifacts", "records", "rejects", "objects"].map {
                "\($0)=\(try Int.fetchOne(ledger.db, sql: "SELECT count(*) FROM \($0)") ?? -1)"
            }
        }
        let blobs = (try? FileManager.default.subpathsOfDirectory(atPath: workspace.objects.root.path).filter { !$0.hasPrefix("tmp") }.sorted()) ?? []
        return counts + blobs
    }

    func receipt(_ outcome: StageOutcome) throws -> StageReceipt {
        guard case let .committed(receipt) = outcome else { throw StageError.missingInput("expected a committed stage, got \(outcome)") }
        return receipt
    }
}

@Suite("Ingest stages on the sample trial", .serialized)
struct IngestStageTests {
    @Test func theSampleTrialIngestsWithItsKnownProblemsRejected() throws {
        let box = try IngestSandbox()
        let protocolReceipt = try box.receipt(try box.ingestor.ingestProtocol(try box.input("protocol.xml")))
        #expect(protocolReceipt.artifacts.map(\.name) == ["protocol"])
        let consents = try box.receipt(try box.ingestor.ingestConsents(try box.inputs("consents", ".json")))
        #expect(consents.recordCount == 62)  // 59 approved consents + 3 withdrawals
        #expect(consents.rejectCount == 1)   // P-0017 signed form 1.0, which the protocol does not approve
        let measurements = try box.receipt(try box.ingestor.ingestMeasurements(try box.inputs("measurements", ".csv")))
        #expect(measurements.recordCount > 7000)
        let rejects = try box.workspace.rejects().map(\.reject)
        let reasons = rejects.map(\.reason)
        #expect(reasons.contains("400 is above the maximum 250 (a hard range check of the protocol)"))
        #expect(reasons.contains("\"7O\" is not an integer (IT.HR is integer)"))
        #expect(reasons.contains("expected kg, found lb"))
        #expect(reasons.contains("item \"IT.CHOL\" is not defined in the protocol"))
        #expect(reasons.contains("visit \"SE.WEEK6\" is not defined in the protocol"))
        #expect(reasons.contains("expected 7 fields as in the header, found 6"))
        #expect(reasons.contains { $0.contains("after P-0009 withdrew consent") })
        #expect(reasons.contains("participant P-9999 has no accepted consent"))
        #expect(rejects.allSatisfy { $0.file.hasPrefix("SampleData/") })
        #expect(rejects.filter { $0.file.hasSuffix(".csv") }.allSatisfy { $0.line != nil })

        let index = try #require(try box.workspace.latestArtifact("consent-index"))
        // Records are queryable, and their tree root is the one the attestation signed.
        try box.workspace.read { ledger in
            let sys = try Int.fetchOne(ledger.db, sql: "SELECT count(*) FROM records WHERE participant = 'P-0001' AND visit = 'SE.WEEK2' AND item = 'IT.SYSBP'")
            #expect(sys == 1)
            var frontier = MerkleFrontier()
            for hash in try Data.fetchAll(ledger.db, sql: "SELECT leaf_hash FROM records WHERE run_id = ? ORDER BY id", arguments: [measurements.runID]) {
                frontier.append(TreeHash(bytes: hash)!)
            }
            #expect(frontier.root == measurements.recordRoot)
            let entry = try ledger.entry(measurements.entryIndex)
            let statement = try DSSEEnvelope(parsing: entry.entry).statement()
            #expect(statement.predicateType == "https://trialchain.dev/stage/v1")
            #expect(statement.predicate["recordRoot"]?.stringValue == measurements.recordRoot.hex)
            #expect(statement.predicate["rejectCount"]?.integerValue == Int64(measurements.rejectCount))
            // Three files, the protocol and the consent index (which stands for the 61 consent files).
            let materials = statement.predicate["materials"]?.arrayValue ?? []
            #expect(materials.count == 3 + 1 + 1)
            #expect(materials.contains { $0["name"]?.stringValue == "consent-index@v1" && $0["digest"]?["sha256"]?.stringValue == index.sha256 })
        }
        #expect(try box.workspace.verifyLedger().entries == 3)
    }

    /// Rows travel to the writer in batches of `MeasurementPreparer.batchSize`, each carrying the
    /// record tree on from the one before: over several batches and files, the stored leaves
    /// must still give the attested root, in order, with every row stored once.
    @Test func recordsSpanningManyBatchesKeepOneTreeInOrder() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        var rows: [Substring] = []
        for file in try box.inputs("measurements", ".csv") {
            rows += try String(contentsOf: file.url, encoding: .utf8).split(separator: "\n").dropFirst()
        }
        let header = "participant,site,visit,item,value,unit,collected_at\n"
        let copies = MeasurementPreparer.batchSize * 2 / rows.count + 1
        let big = try box.write("big/a.csv", header + Array(repeating: rows.joined(separator: "\n"), count: copies).joined(separator: "\n") + "\n")
        let small = try box.write("big/b.csv", header + rows.prefix(10).joined(separator: "\n") + "\n")
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([big, small]))
        #expect(receipt.recordCount + receipt.rejectCount == rows.count * copies + 10)
        #expect(receipt.recordCount > 2 * MeasurementPreparer.batchSize)
        try box.workspace.read { ledger in
            var frontier = MerkleFrontier()
            var lines: [Int] = []
            let stored = try Row.fetchAll(ledger.db, sql: "SELECT leaf_hash, source_file, source_line FROM records WHERE run_id = ? ORDER BY id",
                                          arguments: [receipt.runID])
            for row in stored {
                frontier.append(TreeHash(bytes: row["leaf_hash"] as Data)!)
                if row["source_file"] as String == "big/a.csv" { lines.append(row["source_line"]) }
            }
            #expect(stored.count == receipt.recordCount)
            #expect(frontier.root == receipt.recordRoot)
            #expect(lines == lines.sorted() && Set(lines).count == lines.count)
            #expect(stored.suffix(10).allSatisfy { $0["source_file"] as String == "big/b.csv" })
        }
        #expect(try box.workspace.verifyLedger().entries == 3)
    }

    @Test func rerunningOnIdenticalInputsAppendsNothing() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let before = try box.snapshot()
        #expect(try box.ingestor.ingestProtocol(try box.input("protocol.xml")) == .unchanged(entryIndex: 0))
        #expect(try box.ingestor.ingestMeasurements(try box.inputs("measurements", ".csv")) == .unchanged(entryIndex: 2))
        #expect(try box.snapshot() == before)
    }

    @Test func aCorrectedFileIsANewVersionWithAReason() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let original = try String(contentsOf: sampleData.appendingPathComponent("measurements/site-101.csv"), encoding: .utf8)
        let corrected = try box.write("site-101.csv", original.replacingOccurrences(of: "P-9999", with: "P-0001"))
        let before = try box.snapshot()
        #expect(throws: StageError.self) { try box.ingestor.ingestMeasurements([corrected]) }
        #expect(try box.snapshot() == before)
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([corrected], options: IngestOptions(reason: "site 101 fixed the participant ID")))
        #expect(receipt.artifacts == [ArtifactVersion(name: "measurements/site-101.csv", version: 2, sha256: receipt.artifacts[0].sha256)])
        // Both versions stay.
        let versions = try box.workspace.read { try Int.fetchAll($0.db, sql: "SELECT version FROM stage_artifacts WHERE name = 'measurements/site-101.csv' ORDER BY version") }
        #expect(versions == [1, 2])
        let statement = try box.workspace.read { try DSSEEnvelope(parsing: try $0.entry(receipt.entryIndex).entry).statement() }
        #expect(statement.predicate["reason"]?.stringValue == "site 101 fixed the participant ID")
    }

    @Test func theConsentIndexCoversEveryConsentFileAcrossRunsAndGivesTheSamePeriods() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        let files = try box.inputs("consents", ".json")
        // Consents arrive in two batches: the second run's index covers both, without a --reason.
        _ = try box.ingestor.ingestConsents(Array(files.prefix(30)))
        let first = try #require(try box.workspace.latestArtifact("consent-index"))
        let second = try box.receipt(try box.ingestor.ingestConsents(Array(files.dropFirst(30))))
        let index = try #require(try box.workspace.latestArtifact("consent-index"))
        #expect(first.version == 1 && index.version == 2 && second.artifacts.contains(index))
        let bytes = try box.workspace.artifactBytes(index)
        let listed = try JSONValue.parse(bytes)["consents"]?.arrayValue ?? []
        let consentVersions = try box.workspace.latestArtifacts(prefix: "consents/")
        #expect(listed.count == files.count && listed.count == consentVersions.count)
        #expect(listed.map { $0["name"]?.stringValue ?? "" } == consentVersions.map(\.name))
        #expect(listed.map { $0["sha256"]?.stringValue ?? "" } == consentVersions.map(\.sha256))
        // The same periods as reading every consent artifact, withdrawals included.
        var direct = ConsentIndex()
        for version in consentVersions { direct.add(artifact: try JSONValue.parse(try box.workspace.artifactBytes(version))) }
        let fromIndex = try ConsentIndexArtifact.periods(of: bytes)
        #expect(fromIndex.periods == direct.periods && direct.periods.count > 50)
        #expect(fromIndex.periods.values.contains { $0.until != nil }, "the sample has withdrawals")
        // Derivation is a pure function of the consent artifacts.
        #expect(try ConsentIndexArtifact.derive(from: consentVersions, in: box.workspace) == bytes)
        // Identical consents again: nothing new, not even the index.
        guard case .unchanged = try box.ingestor.ingestConsents(Array(files.dropFirst(30))) else {
            Issue.record("identical consents appended something")
            return
        }
        // Measurements name the index, and are checked against the periods it holds.
        let measurements = try box.receipt(try box.ingestor.ingestMeasurements(try box.inputs("measurements", ".csv")))
        let rejects = try box.workspace.rejects(runID: measurements.runID).map(\.reject.reason)
        #expect(rejects.contains { $0.contains("withdrew consent") } && rejects.contains { $0.contains("has no accepted consent") })
    }

    @Test func tooManyRejectsFailTheWholeStage() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let before = try box.snapshot()
        #expect { try box.ingestor.ingestMeasurements(try box.inputs("measurements", ".csv"), options: IngestOptions(maxRejects: 5)) } throws: { error in
            guard case let .tooManyRejects(count, limit, first)? = error as? StageError else { return false }
            return count > 5 && limit == 5 && !first.isEmpty
        }
        #expect(try box.snapshot() == before)
    }

    @Test func hostileMeasurementFilesFailWholeAndChangeNothing() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let before = try box.snapshot()
        let header = "participant,site,visit,item,value,unit,collected_at\n"
        let good = "P-0001,101,SE.WEEK2,IT.HR,70,beats/min,2026-02-20T10:00:00Z\n"
        let cases: [(String, [UInt8])] = [
            ("unknown-column.csv", Array("participant,site,visit,item,value,unit,collected_at,comment\n".utf8)),
            ("missing-column.csv", Array("participant,site,visit,item,value\n".utf8)),
            ("latin1.csv", Array((header + good).utf8) + [0x50, 0xA9, 0x0A]),
            ("utf16.csv", [0xFF, 0xFE] + Array("p\0".utf8)),
            ("stray-quote.csv", Array((header + good + "P-0001,101,SE.WEEK2,IT.HR,\"7\"0,beats/min,2026-02-20T10:00:00Z\n").utf8)),
            ("unterminated.csv", Array((header + good + "P-0001,101,\"SE.WEEK2\n").utf8)),
            ("nul.csv", Array((header + "P-0001,101,SE.WEEK2,IT.HR,7\u{0}0,beats/min,2026-02-20T10:00:00Z\n").utf8)),
            ("empty.csv", []),
        ]
        for (name, bytes) in cases {
            let url = box.root.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            let goodFile = try box.write("good-\(name)", header + good)
            #expect(throws: (any Error).self, "\(name)") {
                try box.ingestor.ingestMeasurements([goodFile, try InputFile(url: url, name: name)])
            }
            #expect(try box.snapshot() == before, "\(name) changed the workspace")
        }
    }

    @Test func aMeasurementFileChangedAfterItWasHashedFailsTheStageAndChangesNothing() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let before = try box.snapshot()
        let header = "participant,site,visit,item,value,unit,collected_at\n"
        let hashed = try box.write("site-1.csv", header + "P-0001,101,SE.WEEK2,IT.HR,70,beats/min,2026-02-20T10:00:00Z\n")
        // A careful forger: same length, still a valid row, one digit changed after the stage
        // recorded the file's SHA-256 as its material.
        try Data((header + "P-0001,101,SE.WEEK2,IT.HR,79,beats/min,2026-02-20T10:00:00Z\n").utf8).write(to: hashed.url)
        do {
            _ = try box.ingestor.ingestMeasurements([hashed])
            Issue.record("a file changed after it was hashed was ingested")
        } catch let error as WorkspaceError {
            #expect("\(error)".contains("site-1.csv") && "\(error)".contains("changed while it was being ingested"), "\(error)")
        }
        #expect(try box.snapshot() == before)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: box.workspace.objects.root.appendingPathComponent("tmp").path)) ?? []
        #expect(leftovers.isEmpty, "temporary copies left: \(leftovers)")
        // Hashed again, the same bytes ingest, and the stored source is exactly what was parsed.
        let rehashed = try InputFile(url: hashed.url, name: "site-1.csv")
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([rehashed]))
        #expect(receipt.recordCount == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.workspace.objects.path(for: rehashed.sha256))) == Data(contentsOf: hashed.url))
    }

    @Test func aConsentFileOfTheWrongTypeFailsTheStageAndChangesNothing() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        let before = try box.snapshot()
        let good = try box.input("consents/P-0001.json")
        let patient = try box.write("consents/zz-patient.json", #"{"resourceType": "Patient", "id": "P-1"}"#)
        #expect(throws: ConsentError.wrongResourceType(file: "consents/zz-patient.json", found: "Patient")) {
            try box.ingestor.ingestConsents([good, patient])
        }
        let truncated = try box.write("consents/zz-truncated.json", #"{"resourceType": "Consent", "status": "act"#)
        #expect(throws: ConsentError.self) { try box.ingestor.ingestConsents([good, truncated]) }
        #expect(try box.snapshot() == before)
    }

    @Test func stagesNeedTheirInputsFirst() throws {
        let box = try IngestSandbox()
        #expect { try box.ingestor.ingestMeasurements(try box.inputs("measurements", ".csv")) } throws: { error in
            "\(error)".contains("no protocol has been ingested")
        }
        #expect(throws: ProtocolError.self) { try box.ingestor.ingestProtocol(try box.write("bad.xml", "<ODM/>")) }
        #expect(try box.workspace.read { try $0.size() } == 0)
    }

    @Test func otherLayoutsMapTheirColumns() throws {
        let box = try IngestSandbox()
        _ = try box.ingestor.ingestProtocol(try box.input("protocol.xml"))
        _ = try box.ingestor.ingestConsents(try box.inputs("consents", ".json"))
        let file = try box.write("edc-export.csv", "SUBJID,SITEID,VISIT,PARAM,AVAL,UNIT,DTC\nP-0001,101,SE.WEEK2,IT.HR,70,beats/min,2026-02-20T10:00:00Z\n")
        let layout = try MeasurementLayout(mapping: "participant=SUBJID,site=SITEID,visit=VISIT,item=PARAM,value=AVAL,unit=UNIT,collected_at=DTC")
        let receipt = try box.receipt(try box.ingestor.ingestMeasurements([file], options: IngestOptions(layout: layout)))
        #expect(receipt.recordCount == 1 && receipt.rejectCount == 0)
        #expect(throws: MeasurementError.unknownField("subject")) { try MeasurementLayout(mapping: "subject=SUBJID") }
    }
}

@Suite("Measurement records")
struct MeasurementRecordBytesTests {
    @Test(arguments: [("P-1", "101", "mmHg" as String?), ("P \"quoted\"\\", "sité\n", nil), ("\u{1}ctl", "", "µg/L")])
    func directBytesEqualTheCanonicalEncoding(participant: String, site: String, unit: String?) {
        let salt = String(repeating: "ab", count: 32)
        let direct = MeasurementContent.canonical(participant: participant, site: site, visit: "SE.W2", item: "IT.X", value: "1.50",
                                                  unit: unit, collectedAt: "2026-02-01T10:00:00Z", saltHex: salt)
        let content = MeasurementContent.content(participant: participant, site: site, visit: "SE.W2", item: "IT.X",
                                                 value: "1.50", unit: unit, collectedAt: "2026-02-01T10:00:00Z")
        #expect(direct == CanonicalJSON.encode(["record": content, "salt": .string(salt)]))
        #expect(direct == StageWriter.canonicalBytes(content: content, saltHex: salt))
    }

    @Test func storedMeasurementsRebuildTheirCanonicalBytesFromTheirColumns() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let record = try #require(try box.workspace.records(participant: "P-0001", item: "IT.SYSBP").first)
        let canonical = try #require(record.canonical)
        #expect(RFC6962.leafHash(canonical) == record.leafHash)
        let content = try JSONValue.parse(canonical)["record"]
        #expect(content?["value"]?.stringValue == record.value && content?["visit"]?.stringValue == record.visit)
        #expect(content?["kind"]?.stringValue == "measurement" && content?["unit"]?.stringValue == "mmHg")
    }
}

@Suite("verify checks stage runs", .serialized)
struct StageVerificationTests {
    func tamper(_ box: IngestSandbox, _ sql: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: box.workspace.layout.database.path, configuration: configuration)
        try queue.write { db in
            try Schema.withTriggersDropped(db) { try db.execute(sql: sql) }
        }
        try queue.close()
    }

    func failure(_ box: IngestSandbox) -> IntegrityFailure? {
        do { _ = try box.workspace.verifyLedger(); return nil } catch { return error as? IntegrityFailure }
    }

    @Test func anIntactTrialVerifiesWithItsRecords() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let report = try box.workspace.verifyLedger()
        #expect(report.stages.runs == 3 && report.stages.records > 7000 && report.stages.artifacts == 1 + 61 + 1 + 3)
    }

    @Test func anAlteredRecordIsNamedWithItsFileAndLine() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        try tamper(box, "UPDATE record_rows SET canonical = CAST(replace(CAST(canonical AS TEXT), '\"status\":\"', '\"status\":\"x') AS BLOB) WHERE id = (SELECT first_record FROM stage_runs WHERE id = 2) + 10")
        guard case let .recordAltered(run, _, record, location)? = failure(box) else {
            Issue.record("expected an altered record, got \(String(describing: failure(box)))")
            return
        }
        #expect(run == 2 && record == 10 && location.hasPrefix("SampleData/consents/"))
    }

    @Test func columnsThatDisagreeWithStoredCanonicalBytesAreCaught() throws {
        // The canonical copy still hashes to the leaf, but the columns contracts read were changed.
        let box = try IngestSandbox()
        try box.ingestSample()
        let measurement = try #require(try box.workspace.records(participant: "P-0001", item: "IT.SYSBP").first)
        let canonical = Data(try #require(measurement.canonical)).map { String(format: "%02x", $0) }.joined()
        try tamper(box, "UPDATE record_rows SET canonical = x'\(canonical)', value = '999' WHERE id = \(measurement.id)")
        guard case let .recordAltered(_, _, _, location)? = failure(box) else {
            Issue.record("expected an altered measurement, got \(String(describing: failure(box)))")
            return
        }
        #expect(location.hasPrefix("SampleData/measurements/site-101.csv:"))
        try tamper(box, "UPDATE record_rows SET canonical = NULL, value = '\(measurement.value ?? "")' WHERE id = \(measurement.id)")
        #expect(failure(box) == nil)
        try tamper(box, "UPDATE record_rows SET participant = 'P-0002' WHERE id = (SELECT first_record FROM stage_runs WHERE id = 2) + 3")
        guard case let .recordAltered(run, _, record, _)? = failure(box) else {
            Issue.record("expected an altered consent record, got \(String(describing: failure(box)))")
            return
        }
        #expect(run == 2 && record == 3)
    }

    @Test func aMeasurementColumnChangedInTheDatabaseIsCaught() throws {
        // Measurements are stored as columns only: the leaf hash covers what contracts read.
        let box = try IngestSandbox()
        try box.ingestSample()
        try tamper(box, "UPDATE record_rows SET value = value || '0' WHERE id = (SELECT first_record FROM stage_runs WHERE id = 3) + 10")
        guard case let .recordAltered(run, _, record, location)? = failure(box) else {
            Issue.record("expected an altered record, got \(String(describing: failure(box)))")
            return
        }
        #expect(run == 3 && record == 10 && location.hasPrefix("SampleData/measurements/site-101.csv:"))
        try tamper(box, "UPDATE record_rows SET value = substr(value, 1, length(value) - 1) WHERE id = (SELECT first_record FROM stage_runs WHERE id = 3) + 10")
        #expect(failure(box) == nil)
        try tamper(box, "UPDATE record_rows SET value = NULL WHERE id = (SELECT first_record FROM stage_runs WHERE id = 3) + 11")
        guard case let .recordAltered(_, _, blanked, blankLocation)? = failure(box) else {
            Issue.record("expected a blanked record to be refused, got \(String(describing: failure(box)))")
            return
        }
        #expect(blanked == 11 && blankLocation.contains("never erased"))
    }

    @Test func recordsFiledUnderAnotherArtifactOrRunAreCaught() throws {
        // Contracts read records by artifact: moving records between artifacts or runs is tampering.
        let box = try IngestSandbox()
        try box.ingestSample()
        try tamper(box, "UPDATE record_sources SET artifact = 'measurements/forged.csv' WHERE run_id = 3 AND artifact = 'measurements/site-102.csv'")
        guard case let .stageMismatch(run, _, reason)? = failure(box) else {
            Issue.record("expected a stage mismatch, got \(String(describing: failure(box)))")
            return
        }
        #expect(run == 3 && reason.contains("measurements/forged.csv"))
        // Filed under another artifact the run does sign: that artifact is then filed twice.
        try tamper(box, "UPDATE record_sources SET artifact = 'measurements/site-101.csv' WHERE artifact = 'measurements/forged.csv'")
        guard case .stageMismatch(3, _, _)? = failure(box) else {
            Issue.record("expected a stage mismatch, got \(String(describing: failure(box)))")
            return
        }
        try tamper(box, "UPDATE record_sources SET artifact = 'measurements/site-102.csv' WHERE run_id = 3 AND source_file LIKE '%site-102.csv'")
        #expect(failure(box) == nil)
        try tamper(box, """
            UPDATE record_rows SET source_id = (SELECT min(id) FROM record_sources WHERE run_id = 2)
            WHERE id = (SELECT first_record FROM stage_runs WHERE id = 3) + 5
            """)
        guard case let .recordAltered(movedRun, _, record, location)? = failure(box) else {
            Issue.record("expected an altered record, got \(String(describing: failure(box)))")
            return
        }
        #expect(movedRun == 3 && record == 5 && location.contains("not one of its run's"))
    }

    @Test func aDeletedRecordOrBlobIsCaught() throws {
        let box = try IngestSandbox()
        try box.ingestSample()
        let artifact = try #require(try box.workspace.latestArtifact("protocol"))
        let blob = box.workspace.objects.url(for: artifact.sha256)
        let original = try Data(contentsOf: blob)
        try Data("{}".utf8).write(to: blob)
        #expect(failure(box) == .objectAltered(name: "protocol", sha256: artifact.sha256))
        try FileManager.default.removeItem(at: blob)
        #expect(failure(box) == .objectMissing(name: "protocol", sha256: artifact.sha256))
        try original.write(to: blob)
        #expect(failure(box) == nil)
        try tamper(box, "DELETE FROM record_rows WHERE id = (SELECT max(id) FROM record_rows WHERE run_id = 3)")
        guard case .stageMismatch(run: 3, _, _)? = failure(box) else {
            Issue.record("expected a stage mismatch, got \(String(describing: failure(box)))")
            return
        }
    }
}
