import Foundation
import GRDB
import MerkleLog
import SignedNote
import Testing

@Suite("trialchain end to end", .serialized)
struct LedgerEndToEndTests {
    @Test func initAnchorProveAndVerify() throws {
        let sandbox = CLISandbox()
        let created = try sandbox.run(["init", "--trial", "DEMO-2026-001", "--origin", "example.org/trials/DEMO-2026-001"])
        #expect(created.status == 0, "\(created.stderr)")
        sandbox.file("data/b.csv", "participant,value\nP1,5\n")
        sandbox.file("data/a.xml", "<ODM/>\n")
        sandbox.file("data/.hidden", "skip me")
        let anchored = try sandbox.run(["anchor", "data"])
        #expect(anchored.status == 0, "\(anchored.stderr)")
        let lines = anchored.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // Sorted, one line per file: index, sha256, name.
        #expect(lines.map { $0[0] } == ["0", "1"])
        #expect(lines.map { $0[2] } == ["data/a.xml", "data/b.csv"])
        #expect(lines[0][1] == "62c9b0c1e4ee3b2a4fa1bc2b1f5c2b2bd2bbbd9ff9a5f09b1c1f07b8c3a3ab0b" || lines[0][1].count == 64)

        let ledgerKey = try NoteVerifierKey(sandbox.run(["keys", "show", "ledger"]).stdout.trimmingCharacters(in: .newlines))
        #expect(ledgerKey.name == "example.org/trials/DEMO-2026-001")
        let operatorKey = try sandbox.run(["keys", "show", "operator"]).stdout
        #expect(operatorKey.hasPrefix("example.org/trials/DEMO-2026-001/operator+"))

        // The checkpoint is exactly a signed note that verifies with the ledger key.
        let checkpointText = try sandbox.run(["checkpoint"]).stdout
        let note = try SignedNote(parsing: checkpointText)
        try note.verify(trusting: [ledgerKey])
        let checkpoint = try Checkpoint(parsing: note.text)
        #expect(checkpoint.size == 2)
        #expect(try sandbox.run(["checkpoint", "--size", "0"]).stdout.hasPrefix("example.org/trials/DEMO-2026-001\n0\n"))

        // log --json: leaf hashes recompute from the entry bytes; the tree gives the signed root.
        let log = try sandbox.run(["log", "--json"]).stdout.split(separator: "\n")
        #expect(log.count == 2)
        var tree = InMemoryTree()
        for (offset, line) in log.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(object["index"] as? Int == offset)
            let entry = Data(base64Encoded: object["entry"] as! String)!
            #expect(RFC6962.leafHash(entry).hex == object["leaf_hash"] as? String)
            tree.append(leafHash: RFC6962.leafHash(entry))
            #expect(String(line).hasPrefix("{\"entry\":"))
        }
        #expect(tree.root() == checkpoint.root)

        // prove entry --json verifies with an RFC 9162 verifier against the checkpoint root.
        let proofJSON = try sandbox.run(["prove", "entry", "1", "--json"]).stdout
        let proof = try JSONSerialization.jsonObject(with: Data(proofJSON.utf8)) as! [String: Any]
        #expect(proof["size"] as? Int == 2 && proof["index"] as? Int == 1)
        #expect(proof["root"] as? String == checkpoint.root.hex)
        try ProofVerifier.verifyInclusion(index: 1, size: 2, leafHash: Hex.decode(proof["leaf_hash"] as! String)!,
                                          proof: (proof["proof"] as! [String]).map { Hex.decode($0)! }, root: checkpoint.root.bytes)

        sandbox.file("c.txt", "third")
        try sandbox.run(["anchor", "c.txt"])
        let consistencyJSON = try sandbox.run(["prove", "consistency", "--from", "2", "--json"]).stdout
        let consistency = try JSONSerialization.jsonObject(with: Data(consistencyJSON.utf8)) as! [String: Any]
        #expect(consistency["from"] as? Int == 2 && consistency["to"] as? Int == 3)
        #expect(consistency["old_root"] as? String == checkpoint.root.hex)
        let latest = try Checkpoint(parsing: SignedNote(parsing: sandbox.run(["checkpoint"]).stdout).text)
        try ProofVerifier.verifyConsistency(oldSize: 2, newSize: 3, oldRoot: checkpoint.root.bytes, newRoot: latest.root.bytes,
                                            proof: (consistency["proof"] as! [String]).map { Hex.decode($0)! })

        // verify, and verify against the checkpoint we kept.
        let kept = sandbox.file("kept.checkpoint", checkpointText)
        let verified = try sandbox.run(["verify", "--checkpoint", kept.path])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("3 entries"))
        #expect(verified.stdout.contains("extends the checkpoint you hold (size 2)"))
        let json = try sandbox.run(["verify", "--json"])
        #expect(json.stdout.contains("\"ok\":true"))
    }

    @Test func anAlteredEntryFailsVerifyNamingIt() throws {
        let sandbox = CLISandbox()
        try sandbox.run(["init", "--trial", "T-1"])
        sandbox.file("a.txt", "a"); sandbox.file("b.txt", "b"); sandbox.file("c.txt", "c")
        try sandbox.run(["anchor", "a.txt", "b.txt", "c.txt"])
        #expect(try sandbox.run(["verify"]).status == 0)

        let queue = try DatabaseQueue(path: sandbox.workspace.appendingPathComponent("trialchain.sqlite").path)
        // The trigger refuses the change…
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "UPDATE ledger_entries SET entry = CAST('x' AS BLOB) WHERE idx = 1") }
        }
        // …so drop it first, as someone with the file could.
        try queue.write { db in
            let trigger = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ledger_entries_no_update'")!
            try db.execute(sql: "DROP TRIGGER ledger_entries_no_update")
            try db.execute(sql: "UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'payload', 'pay1oad') AS BLOB) WHERE idx = 1")
            try db.execute(sql: trigger)
        }
        try queue.close()
        let result = try sandbox.run(["verify"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("entry 1 was altered"), "\(result.stderr)")
    }

    @Test func aCheckpointFromADifferentHistoryFails() throws {
        let sandbox = CLISandbox()
        try sandbox.run(["init", "--trial", "T-2"])
        sandbox.file("a.txt", "a")
        try sandbox.run(["anchor", "a.txt"])
        // Same keys, different history: a copy of the workspace that went on otherwise.
        let fork = sandbox.directory.appendingPathComponent("fork")
        try FileManager.default.copyItem(at: sandbox.workspace, to: fork)
        sandbox.file("b.txt", "b"); sandbox.file("evil.txt", "evil")
        try sandbox.run(["anchor", "b.txt"])
        try sandbox.run(["anchor", "evil.txt"], workspace: fork)
        let forkCheckpoint = sandbox.file("fork.checkpoint", try sandbox.run(["checkpoint"], workspace: fork).stdout)
        let result = try sandbox.run(["verify", "--checkpoint", forkCheckpoint.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("history was rewritten"), "\(result.stderr)")
    }

    @Test func badInputGetsAOneLineErrorAndExit2() throws {
        let sandbox = CLISandbox()
        let missing = try sandbox.run(["verify"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no TrialChain workspace"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.workspace.path))

        try sandbox.run(["init", "--trial", "T-3"])
        #expect(try sandbox.run(["init", "--trial", "T-3"]).status == 2)
        sandbox.file("a.txt", "a")
        let unreadable = try sandbox.run(["anchor", "a.txt", "nope.txt"])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("nope.txt"))
        #expect(try sandbox.run(["log", "--json"]).stdout.isEmpty)
        let past = try sandbox.run(["prove", "entry", "4"])
        #expect(past.status == 2 && past.stderr.contains("entry 4"))
        #expect(try sandbox.run(["checkpoint", "--size", "9"]).status == 2)
        #expect(try sandbox.run(["prove", "consistency", "--from", "0"]).status == 2)
        #expect(try sandbox.run(["keys", "show", "nobody"]).status == 2)

        // A truncated checkpoint file and a foreign one: integrity failures (exit 1), named.
        try sandbox.run(["anchor", "a.txt"])
        let text = try sandbox.run(["checkpoint"]).stdout
        let truncated = sandbox.file("truncated.checkpoint", String(text.prefix(text.count / 2)))
        let result = try sandbox.run(["verify", "--checkpoint", truncated.path])
        #expect(result.status == 1 && result.stderr.contains("checkpoint you hold"), "\(result.stderr)")
        #expect(try sandbox.run(["verify", "--checkpoint", sandbox.directory.appendingPathComponent("absent").path]).status == 2)

        // A foreign database is refused and left unchanged.
        let foreign = sandbox.directory.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("not sqlite at all".utf8).write(to: foreign.appendingPathComponent("trialchain.sqlite"))
        let corrupt = try sandbox.run(["verify"], workspace: foreign)
        #expect(corrupt.status == 2 && corrupt.stderr.contains("not a readable SQLite database"), "\(corrupt.stderr)")
        #expect(try Data(contentsOf: foreign.appendingPathComponent("trialchain.sqlite")) == Data("not sqlite at all".utf8))
    }

    @Test func everyCommandExplainsItself() throws {
        let sandbox = CLISandbox()
        for command in [["init"], ["anchor"], ["checkpoint"], ["keys", "show"], ["log"], ["prove", "entry"], ["prove", "consistency"], ["verify"], ["publish"], ["serve"], ["token", "create"], ["token", "list"], ["token", "revoke"], ["witness", "add"], ["witness", "remove"], ["witness", "list"], ["witness", "push"], ["submit"], ["trust", "require-submissions"]] {
            let help = try sandbox.run(command + ["--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("USAGE") && help.stdout.contains("--workspace"), "\(command)")
        }
    }
}

@Suite("trialchain ingest end to end", .serialized)
struct IngestEndToEndTests {
    static let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData")

    @Test func theQuickStartPipelineRunsAndRejectsAreListed() throws {
        let sandbox = CLISandbox()
        let data = Self.sampleData.path
        #expect(try sandbox.run(["init", "--trial", "DEMO-2026-001"]).status == 0)
        let protocolRun = try sandbox.run(["ingest", "protocol", data + "/protocol.xml"])
        #expect(protocolRun.status == 0, "\(protocolRun.stderr)")
        let consents = try sandbox.run(["ingest", "consents", data + "/consents"])
        #expect(consents.status == 0 && consents.stdout.contains("62 records, 1 rejected"), "\(consents.stdout)\(consents.stderr)")
        let measurements = try sandbox.run(["ingest", "measurements", data + "/measurements"])
        #expect(measurements.status == 0, "\(measurements.stderr)")
        let again = try sandbox.run(["ingest", "measurements", data + "/measurements"])
        #expect(again.status == 0 && again.stdout.contains("unchanged"))

        let rejects = try sandbox.run(["rejects", "--json"])
        let lines = rejects.stdout.split(separator: "\n")
        #expect(lines.count > 10)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["file"] is String && first["field"] is String && first["reason"] is String && first["line"] is Int)
        #expect(rejects.stdout.contains("is above the maximum 250"), "\(rejects.stdout)")

        let verified = try sandbox.run(["verify"])
        #expect(verified.status == 0 && verified.stdout.contains("3 entries"), "\(verified.stderr)")
        let log = try sandbox.run(["log"])
        #expect(log.stdout.contains("ingest/measurements") && log.stdout.contains("performed by Test Operator ("), "\(log.stdout)")
    }

    @Test func badIngestInputIsAOneLineErrorAndChangesNothing() throws {
        let sandbox = CLISandbox()
        try sandbox.run(["init", "--trial", "T-9"])
        let bomb = sandbox.file("bomb.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE ODM [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n<ODM>&b;</ODM>\n")
        let result = try sandbox.run(["ingest", "protocol", bomb.path])
        #expect(result.status == 2 && result.stderr.contains("bomb.xml:2") && result.stderr.contains("DOCTYPE"), "\(result.stderr)")
        let early = try sandbox.run(["ingest", "measurements", sandbox.file("m.csv", "participant\n").path])
        #expect(early.status == 2 && early.stderr.contains("no protocol has been ingested"))
        #expect(try sandbox.run(["log", "--json"]).stdout.isEmpty)
    }
}

@Suite("trialchain run end to end", .serialized)
struct RunEndToEndTests {
    @Test func theQuickStartPipelineRunsThenResumesAsUnchanged() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        let first = try sandbox.run(["run", "Pipelines/demo.yml"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3/6 measurements: 7602 records, 144 rejected"), "\(first.stdout)")
        #expect(first.stdout.contains("4/6 payouts: payouts/participant-payments v1"), "\(first.stdout)")
        for report in ["payouts/participant-payments.html", "payouts/participant-payments.csv", "adherence/dosing-adherence.json"] {
            #expect(FileManager.default.fileExists(atPath: sandbox.workspace.appendingPathComponent("reports/\(report)").path), "\(report)")
        }
        #expect(first.stdout.contains("ws/reports/payouts/participant-payments.html"), "\(first.stdout)")
        let second = try sandbox.run(["run", "Pipelines/demo.yml", "--json"])
        #expect(second.status == 0 && second.stdout.contains(#""status":"unchanged""#) && !second.stdout.contains("committed"))
        #expect(try sandbox.run(["verify"]).status == 0)

        sandbox.file("Pipelines/bad.yml", "pipeline: x\ntrial: DEMO-2026-001\nstages:\n  - name: a\n    kind: report/payouts\n    inputs: [SampleData/protocol.xml]\n")
        let bad = try sandbox.run(["run", "Pipelines/bad.yml"])
        #expect(bad.status == 2 && bad.stderr.contains("Pipelines/bad.yml:5: kind: unknown stage kind"), "\(bad.stderr)")
    }
}

@Suite("Corrections from the command line and pipelines", .serialized)
struct CorrectionEndToEndTests {
    /// Issue 17's story: site 102 corrected with `ingest --reason`, then a fix to site 103 in the
    /// pipeline's folder and a rerun. The old site 102 in the folder must never become newest.
    @Test func aRerunNeverUndoesACorrectionAndAsksForAReasonOnlyForWhatChanged() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        let folder = sandbox.directory.appendingPathComponent("SampleData/measurements")
        let site102 = try String(contentsOf: folder.appendingPathComponent("site-102.csv"), encoding: .utf8)
        let fixed = sandbox.file("fixes/site-102.csv", site102.replacingOccurrences(of: "P-0002,102,SE.SCREENING,IT.SYSBP,97", with: "P-0002,102,SE.SCREENING,IT.SYSBP,98"))
        let corrected = try sandbox.run(["ingest", "measurements", fixed.path, "--reason", "site 102 re-read a blood pressure"])
        #expect(corrected.status == 0, "\(corrected.stderr)")
        // `ingest` prints the stage run number, which `rejects --run` takes.
        let run = corrected.stdout.firstMatch(of: /stage run (\d+)/).map { String($0.1) }
        #expect(run != nil, "\(corrected.stdout)")
        #expect(try sandbox.run(["rejects", "--run", run ?? "0"]).status == 0)
        let unknown = try sandbox.run(["rejects", "--run", "999"])
        #expect(unknown.status == 2 && unknown.stderr.contains("there is no stage run 999"), "\(unknown.stderr)")

        let site103 = try String(contentsOf: folder.appendingPathComponent("site-103.csv"), encoding: .utf8)
        sandbox.file("SampleData/measurements/site-103.csv", site103.replacingOccurrences(of: "P-0003,103,SE.SCREENING,IT.SYSBP,134", with: "P-0003,103,SE.SCREENING,IT.SYSBP,135"))
        let before = try sandbox.run(["log", "--json"]).stdout
        for extra in [[], ["--reason", "site 103 re-read a blood pressure"]] {
            let rerun = try sandbox.run(["run", "Pipelines/demo.yml"] + extra)
            #expect(rerun.status == 2, "\(rerun.stdout)")
            #expect(rerun.stderr.contains("SampleData/measurements/site-102.csv has the content of measurements/site-102.csv v1, which v2 superseded"), "\(rerun.stderr)")
            #expect(!rerun.stderr.contains("site-101"), "\(rerun.stderr)")
            #expect(try sandbox.run(["log", "--json"]).stdout == before)
        }
        // With the current site 102 in the folder, only site 103 needs a reason.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("site-102.csv"))
        try FileManager.default.copyItem(at: fixed, to: folder.appendingPathComponent("site-102.csv"))
        let noReason = try sandbox.run(["run", "Pipelines/demo.yml"])
        #expect(noReason.status == 2 && noReason.stderr.contains("SampleData/measurements/site-103.csv differs from measurements/site-103.csv v1"), "\(noReason.stderr)")
        #expect(!noReason.stderr.contains("site-102"), "\(noReason.stderr)")
        let done = try sandbox.run(["run", "Pipelines/demo.yml", "--reason", "site 103 re-read a blood pressure", "--json"])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains(#""name":"measurements/site-103.csv","sha256""#) && !done.stdout.contains(#""name":"measurements/site-102.csv""#), "\(done.stdout)")
        #expect(try sandbox.run(["verify"]).status == 0)
    }
}

@Suite("Flagged values", .serialized)
struct FlaggedValuesEndToEndTests {
    @Test func rejectsFlaggedListsValuesASoftRangeCheckFlagged() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        let protocolFile = sandbox.directory.appendingPathComponent("SampleData/protocol.xml")
        let soft = try String(contentsOf: protocolFile, encoding: .utf8)
            .replacingOccurrences(of: #"<RangeCheck Comparator="LE" SoftHard="Hard"><CheckValue>250</CheckValue></RangeCheck></ItemDef>"#,
                                  with: #"<RangeCheck Comparator="LE" SoftHard="Soft"><CheckValue>250</CheckValue></RangeCheck></ItemDef>"#)
        try Data(soft.utf8).write(to: protocolFile)
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        let flagged = try sandbox.run(["rejects", "--flagged"])
        #expect(flagged.status == 0 && flagged.stdout.contains("SampleData/measurements/site-102.csv:269: value: 400 is above the maximum 250 (a soft range check"), "\(flagged.stdout)\(flagged.stderr)")
        let rejects = try sandbox.run(["rejects"])
        #expect(!rejects.stdout.contains("400 is above"), "a soft failure is not a reject")
    }
}

@Suite("Killed runs", .serialized)
struct KillLoopTests {
    /// Kill `trialchain run` with SIGKILL at seeded random moments, again and again; then run it
    /// to the end: the ledger verifies, and every stage, record and report is there exactly once.
    @Test func aRunKilledAtRandomPointsResumesWithNothingDuplicatedOrLost() throws {
        // The kill moments are spread over the time a whole run takes on this machine now (a
        // fixed range was sometimes longer than the run, so nothing was ever interrupted).
        let timing = CLISandbox()
        try timing.copySampleTrial()
        let clock = Date()
        #expect(try timing.run(["run", "Pipelines/demo.yml"]).status == 0)
        let whole = max(Date().timeIntervalSince(clock), 0.2)
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        var state: UInt64 = 20_261_122
        func nextDelay() -> TimeInterval {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 0.02 + whole * 0.9 * Double((state >> 33) % 1_000) / 1_000
        }
        var kills = 0
        for _ in 0..<8 where try sandbox.runAndKill(["run", "Pipelines/demo.yml"], after: nextDelay()) { kills += 1 }
        #expect(kills > 0, "no run was interrupted: the delays are too long for this machine")
        let final = try sandbox.run(["run", "Pipelines/demo.yml", "--json"])
        #expect(final.status == 0, "\(final.stderr)")
        let verified = try sandbox.run(["verify", "--reexecute"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let database = try DatabaseQueue(path: sandbox.workspace.appendingPathComponent("trialchain.sqlite").path)
        let counts = try database.read { db in
            try ["stage_runs", "ledger_entries", "records"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1 }
                + [try Int.fetchOne(db, sql: "SELECT count(*) FROM stage_artifacts WHERE name LIKE 'reports/%'") ?? -1]
        }
        #expect(counts == [6, 6, 7_602 + 62, 6], "each stage ran to its commit exactly once: stage runs, entries, records, reports")
        try database.close()
        for report in ["payouts/participant-payments.html", "adherence/dosing-adherence.csv"] {
            #expect(FileManager.default.fileExists(atPath: sandbox.workspace.appendingPathComponent("reports/\(report)").path))
        }
    }
}

@Suite("Audit commands end to end", .serialized)
struct AuditEndToEndTests {
    @Test func anAuditorsOfflineRoundExitsAsDocumented() throws {
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        let held = sandbox.file("held.checkpoint", try sandbox.run(["checkpoint"]).stdout)
        #expect(try sandbox.run(["export", "--bundle", "trial.zip"]).status == 0)
        let bundle = try sandbox.run(["verify", "--bundle", "trial.zip", "--checkpoint", held.path, "--reexecute"])
        #expect(bundle.status == 0 && bundle.stdout.contains("every file matches its manifest") && bundle.stdout.contains("outputs identical byte for byte"), "\(bundle.stdout)\(bundle.stderr)")
        sandbox.file("not-a-bundle.zip", "hello")
        #expect(try sandbox.run(["verify", "--bundle", "not-a-bundle.zip"]).status == 2)

        // A proof of this trial, checked against another trial's keys: exit 1, never a pass.
        let proof = try sandbox.run(["prove", "record", "--participant", "P-0001", "--visit", "SE.WEEK2", "--item", "IT.HR", "--out", "proof.json"])
        #expect(proof.status == 0, "\(proof.stderr)")
        #expect(try sandbox.run(["verify-proof", "proof.json"], withWorkspace: false).status == 0)
        let other = sandbox.directory.appendingPathComponent("other")
        #expect(try sandbox.run(["init", "--trial", "OTHER-1"], workspace: other).status == 0)
        let otherKey = try sandbox.run(["keys", "show", "ledger"], workspace: other).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let foreign = try sandbox.run(["verify-proof", "proof.json", "--ledger-key", otherKey], withWorkspace: false)
        #expect(foreign.status == 1 && foreign.stderr.contains("record proof fails"), "\(foreign.stderr)")
        sandbox.file("junk.json", #"{"type":"something else"}"#)
        #expect(try sandbox.run(["verify-proof", "junk.json"], withWorkspace: false).status == 2)

        // A witness refuses to go backwards.
        #expect(try sandbox.run(["keys", "generate", "--name", "witness.test", "--witness", "--out", "w.key"], withWorkspace: false).status == 0)
        #expect(try sandbox.run(["witness", "cosign", held.path, "--key", "w.key", "--state", "w.json"]).status == 0)
        let older = sandbox.file("older.checkpoint", try sandbox.run(["checkpoint", "--size", "2"]).stdout)
        let backwards = try sandbox.run(["witness", "cosign", older.path, "--key", "w.key", "--state", "w.json"])
        #expect(backwards.status == 1 && backwards.stderr.contains("goes backwards"), "\(backwards.stderr)")
    }
}
