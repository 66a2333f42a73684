// trialchain-bench: prints speed and memory figures for the ledger. Never run in tests.
//
//   swift run -c release trialchain-bench ledger [--entries N] [--batch N] [--entry-bytes N] [--proofs N]
//
// Entries are generated from a fixed seed, so every run stores the same ledger.
import Foundation
import MerkleLog
import SignedNote
import Contracts
import Ingest
import Reports
import Workspace

struct Options {
    var entries = 1_000_000
    var batch = 1_000_000
    var entryBytes = 128
    var proofs = 1_000
    var directory: String?

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { fail("\(flag) needs a value") }
            switch flag {
            case "--entries": entries = number(value, "--entries")
            case "--batch": batch = number(value, "--batch")
            case "--entry-bytes": entryBytes = number(value, "--entry-bytes")
            case "--proofs": proofs = number(value, "--proofs")
            case "--dir": directory = value
            default: fail("unknown option \(flag)")
            }
        }
    }
}

func number(_ text: String, _ flag: String) -> Int {
    guard let value = Int(text), value > 0 else { fail("\(flag) takes a positive number") }
    return value
}

/// Every benchmark, with its options.
let usage = """
    usage: trialchain-bench BENCHMARK [options]
      ledger   [--entries N] [--batch N] [--entry-bytes N] [--proofs N] [--dir DIR]
               append generated entries, time inclusion and consistency proofs and a full verify
      ingest   [--participants N] [--days N] [--dir DIR] [--csv FILE] [--contracts DIR|none]
               generate a trial, time the measurement stage, the sample contracts and their reports
      e2e      [--participants N] [--days N] [--dir DIR] [--ingest-runs N]
               every step as its own trialchain process, with time and peak memory each, and
               sqlite3 .import of the same measurement file (alternating N times, on copies of
               the workspace, for the median ratio on a noisy machine)
      load     [--sites N] [--batches N] [--rows N] [--readers N] [--seconds N] [--dir DIR]
               N sites submitting signed batches over HTTP while readers fetch tiles and a witness
               cosigns (trialchain serve, witness serve and wrk on loopback); checks nothing is lost
      generate --out DIR [--participants N] [--days N] [--seed S] [--single-file] [--clean]
               write a synthetic trial from a seed
      csv FILE time the CSV reader alone
      hash     time SHA-256 (swift-crypto)

    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("trialchain-bench: \(message)\n\(usage)".utf8))
    exit(2)
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
func peakMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / 1024
}

/// User and system CPU seconds of the whole process so far.
func cpuSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// Deterministic entry bytes: index-dependent, fixed length.
func entries(_ range: Range<Int>, bytes: Int) -> [[UInt8]] {
    range.map { index in
        var state = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<bytes).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }
}

func runLedger(_ options: Options) throws {
    let root = URL(fileURLWithPath: options.directory ?? NSTemporaryDirectory()).appendingPathComponent("trialchain-bench-\(getpid())")
    defer { if options.directory == nil { try? FileManager.default.removeItem(at: root) } }
    let workspace = try Workspace.create(at: root, trialID: "BENCH", origin: "bench.trialchain.local/ledger")
    print("ledger benchmark: \(options.entries) entries of \(options.entryBytes) bytes, batches of \(options.batch)")

    var appendSeconds = 0.0
    var generated = 0
    while generated < options.entries {
        let count = min(options.batch, options.entries - generated)
        let batch = entries(generated..<(generated + count), bytes: options.entryBytes)
        let (_, seconds) = try time { try workspace.appendEntries(batch) }
        appendSeconds += seconds
        generated += count
    }
    let size = UInt64(options.entries)
    let databaseMiB = Double((try? FileManager.default.attributesOfItem(atPath: workspace.layout.database.path)[.size] as? NSNumber)??.intValue ?? 0) / 1_048_576
    print(String(format: "append:        %.2f s  (%.0f entries/s, one transaction + checkpoint per batch; database %.0f MiB)",
                 appendSeconds, Double(size) / appendSeconds, databaseMiB))
    print(String(format: "peak memory after append: %.0f MiB (includes the generated batch held in memory)", peakMiB()))

    var rng = SystemRandomNumberGenerator()
    let checkpoint = try workspace.read { try $0.checkpoint() }
    try workspace.read { ledger in
        // Warm the statement cache and the page cache once.
        _ = try ledger.inclusionProof(index: 0, size: size)
        let indices = (0..<options.proofs).map { _ in UInt64.random(in: 0..<size, using: &rng) }
        let (proofs, seconds) = try time { try indices.map { try ledger.inclusionProof(index: $0, size: size) } }
        for (index, proof) in zip(indices, proofs).prefix(50) {
            try ProofVerifier.verifyInclusion(index: index, size: size, leafHash: proof.leafHash.bytes,
                                              proof: proof.proof.map(\.bytes), root: checkpoint.root.bytes)
        }
        print(String(format: "inclusion proof at %llu entries: %.3f ms each (%d proofs, %d hashes each)",
                     size, seconds * 1000 / Double(options.proofs), options.proofs, proofs.first?.proof.count ?? 0))
        let pairs = (0..<100).map { _ in UInt64.random(in: 1...size, using: &rng) }
        let (_, consistencySeconds) = try time { try pairs.map { try ledger.consistencyProof(from: $0, to: size) } }
        print(String(format: "consistency proof to %llu entries: %.3f ms each (100 proofs)", size, consistencySeconds * 1000 / 100))
    }
    let (report, verifySeconds) = try time {
        try workspace.verifyLedger(checkAttestations: false)
    }
    precondition(report.root == checkpoint.root)
    print(String(format: "verify (tree, tiles, checkpoints): %.2f s  (%.0f entries/s)", verifySeconds, Double(size) / verifySeconds))
    print(String(format: "peak memory: %.0f MiB", peakMiB()))
}

func runHash() {
    let a = RFC6962.leafHash([1, 2, 3] as [UInt8])
    var h = a
    let (_, nodeSeconds) = time { for _ in 0..<1_000_000 { h = RFC6962.nodeHash(h, a) } }
    print(String(format: "node hash: %.0f ns each", nodeSeconds * 1000))
    let entry = [UInt8](repeating: 7, count: 128)
    let (_, leafSeconds) = time { for _ in 0..<1_000_000 { h = RFC6962.leafHash(entry) } }
    print(String(format: "leaf hash (128 B): %.0f ns each  %@", leafSeconds * 1000, h.hex.prefix(8) as CVarArg))
}

/// `generate --out DIR [--participants N] [--days N] [--seed S] [--single-file] [--clean]`
func runGenerate(_ arguments: [String]) {
    var generator = TrialGenerator()
    var out: String?
    var iterator = arguments.makeIterator()
    while let flag = iterator.next() {
        switch flag {
        case "--out": out = iterator.next()
        case "--participants": generator.participants = number(iterator.next() ?? "", flag)
        case "--days": generator.diaryDays = number(iterator.next() ?? "", flag)
        case "--seed": generator.seed = UInt64(number(iterator.next() ?? "", flag))
        case "--single-file": generator.singleFile = true
        case "--clean": generator.withProblems = false
        default: fail("unknown option \(flag)")
        }
    }
    guard let out else { fail("generate needs --out DIR") }
    do {
        try generator.write(to: URL(fileURLWithPath: out))
        print("wrote a trial of \(generator.participants) participants to \(out)")
    } catch {
        fail("\(error)")
    }
}

/// A copy of a workspace whose object store shares the original's files (hard links: blobs are
/// immutable and named by their hash), so that a trial of 100,000 consent documents is set up in
/// seconds rather than minutes. Everything else is copied.
func cloneWorkspace(_ source: URL, to destination: URL) throws {
    let files = FileManager.default
    try files.createDirectory(at: destination, withIntermediateDirectories: true)
    for name in try files.contentsOfDirectory(atPath: source.path) where name != "objects" {
        try files.copyItem(at: source.appendingPathComponent(name), to: destination.appendingPathComponent(name))
    }
    let objects = source.appendingPathComponent("objects")
    guard let walker = files.enumerator(atPath: objects.path) else { return }
    try files.createDirectory(at: destination.appendingPathComponent("objects"), withIntermediateDirectories: true)
    while let relative = walker.nextObject() as? String {
        let from = objects.appendingPathComponent(relative), to = destination.appendingPathComponent("objects").appendingPathComponent(relative)
        if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
            try files.createDirectory(at: to, withIntermediateDirectories: true)
        } else {
            try files.linkItem(at: from, to: to)
        }
    }
}

/// `ingest [--participants N] [--days N] [--dir DIR] [--csv FILE] [--contracts DIR|none]`: generates a clean trial with every
/// measurement in one CSV, ingests protocol and consents, times the measurement stage end to end,
/// then the sample contracts (from `Pipelines/contracts`) and their reports over those records.
func runIngest(_ arguments: [String]) {
    var generator = TrialGenerator()
    generator.participants = 7_600
    generator.singleFile = true
    generator.withProblems = false
    var directory: String?
    var contracts = "Pipelines/contracts"
    var csvOverride: String?
    var iterator = arguments.makeIterator()
    while let flag = iterator.next() {
        switch flag {
        case "--participants": generator.participants = number(iterator.next() ?? "", flag)
        case "--dir": directory = iterator.next()
        case "--contracts": contracts = iterator.next() ?? contracts
        case "--csv": csvOverride = iterator.next()
        case "--days": generator.diaryDays = number(iterator.next() ?? "", flag)
        default: fail("unknown option \(flag)")
        }
    }
    // With --dir, the generated trial and the workspace holding its protocol and consents are kept
    // there and reused by later runs with the same participant count, so repeated runs time the
    // measurement stage alone.
    let name = "ingest-\(generator.participants)" + (generator.diaryDays == TrialGenerator().diaryDays ? "" : "-d\(generator.diaryDays)")
    let root = directory.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
        ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("trialchain-ingest-bench-\(getpid())")
    defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
    let files = FileManager.default
    do {
        let trial = root.appendingPathComponent("trial"), prepared = root.appendingPathComponent("ws-consents")
        if !files.fileExists(atPath: trial.appendingPathComponent("protocol.xml").path) {
            try? files.removeItem(at: trial)
            let (_, generateSeconds) = try time { try generator.write(to: trial) }
            print(String(format: "generated %d participants in %.1f s", generator.participants, generateSeconds))
        }
        // --csv: another measurement file for the same trial (a part of the generated one, say).
        let csv = csvOverride.map { URL(fileURLWithPath: $0) } ?? trial.appendingPathComponent("measurements/measurements.csv")
        let bytes = (try files.attributesOfItem(atPath: csv.path)[.size] as? NSNumber)?.intValue ?? 0
        print(String(format: "measurements.csv: %.1f MB", Double(bytes) / 1e6))
        if !files.fileExists(atPath: prepared.path) {
            let staging = root.appendingPathComponent("ws-staging")
            try? files.removeItem(at: staging)
            let workspace = try Workspace.create(at: staging, trialID: "BENCH", origin: "bench.trialchain.local/ingest")
            let ingestor = Ingestor(workspace: workspace)
            _ = try ingestor.ingestProtocol(try InputFile(url: trial.appendingPathComponent("protocol.xml"), name: "protocol.xml"))
            let consentFolder = trial.appendingPathComponent("consents")
            let consents = try files.contentsOfDirectory(atPath: consentFolder.path).filter { $0.hasSuffix(".json") }.sorted()
                .map { try InputFile(url: consentFolder.appendingPathComponent($0), name: "consents/\($0)") }
            let (_, consentSeconds) = try time { try ingestor.ingestConsents(consents) }
            print(String(format: "consents: %d files in %.2f s", consents.count, consentSeconds))
            try files.moveItem(at: staging, to: prepared)
        }
        let workspaceURL = root.appendingPathComponent("ws")
        try? files.removeItem(at: workspaceURL)
        try cloneWorkspace(prepared, to: workspaceURL)
        let workspace = try Workspace.open(at: workspaceURL)
        let ingestor = Ingestor(workspace: workspace)
        let memoryBefore = peakMiB(), cpuBefore = cpuSeconds()
        let (outcome, seconds) = try time { try ingestor.ingestMeasurements([try InputFile(url: csv, name: "measurements.csv")]) }
        guard case let .committed(receipt) = outcome else { fail("nothing ingested") }
        let rows = receipt.recordCount + receipt.rejectCount
        print(String(format: "measurements: %d rows (%d records, %d rejects) in %.2f s = %.0f rows/s, %.1f MB/s (parse, validate, hash, store, record tree, anchor)",
                     rows, receipt.recordCount, receipt.rejectCount, seconds, Double(rows) / seconds, Double(bytes) / 1e6 / seconds))
        let cpu = cpuSeconds()
        print(String(format: "cpu: %.2f s user, %.2f s system (both threads); peak memory: %.0f MiB (%.0f MiB before the measurement stage)",
                     cpu.user - cpuBefore.user, cpu.system - cpuBefore.system, peakMiB(), memoryBefore))
        // The contracts and reports of the sample trial, over the same records.
        for name in ["participant-payments", "dosing-adherence"] {
            let url = URL(fileURLWithPath: contracts).appendingPathComponent("\(name).yml")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let contract = try ContractFile(url: url, displayName: name)
            let (_, contractSeconds) = try time { try ContractRunner(workspace: workspace).run(contract) }
            let version = try workspace.latestArtifact(contract.artifactName)!
            let (reports, reportSeconds) = try time { try ReportRunner(workspace: workspace).run([version], formats: ReportFormat.allCases).1 }
            print(String(format: "contract %@: %.2f s (load records, evaluate, anchor; output %.1f MB); reports csv/json/html: %.2f s (%@)",
                         name, contractSeconds, Double((try? FileManager.default.attributesOfItem(atPath: workspace.objects.path(for: version.sha256))[.size] as? Int) ?? 0) / 1e6, reportSeconds,
                         reports.map { String(format: "%.1f MB", Double($0.byteCount) / 1e6) }.joined(separator: ", ")))
        }
        print(String(format: "peak memory after contracts: %.0f MiB", peakMiB()))
    } catch {
        fail("\(error)")
    }
}

/// `csv FILE`: the CSV reader alone (libcsv, UTF-8 checks, line numbers, Strings per field).
func runCSV(_ arguments: [String]) {
    guard let path = arguments.first else { fail("csv needs a FILE") }
    let url = URL(fileURLWithPath: path)
    let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
    var records = 0, fields = 0
    do {
        let (_, seconds) = try time { try CSVReader(url: url).forEachRecord { records += 1; fields += $0.fields.count } }
        print(String(format: "csv, a String per field: %d records, %d fields, %.1f MB in %.2f s = %.0f MB/s, %.0f records/s",
                     records, fields, Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds, Double(records) / seconds))
        var fieldBytes = 0
        let (_, rowSeconds) = try time { try CSVReader(url: url).forEachRow { row in for index in 0..<row.count { fieldBytes += row[index].count } } }
        print(String(format: "csv, fields in place: %.1f MB in %.2f s = %.0f MB/s, %.0f records/s (%d field bytes)",
                     Double(bytes) / 1e6, rowSeconds, Double(bytes) / 1e6 / rowSeconds, Double(records) / rowSeconds, fieldBytes))
    } catch {
        fail("\(error)")
    }
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "hash": runHash()
case "generate": runGenerate(Array(arguments.dropFirst()))
case "ingest": runIngest(Array(arguments.dropFirst()))
case "e2e": runEndToEnd(Array(arguments.dropFirst()))
case "load": runLoad(Array(arguments.dropFirst()))
case "csv": runCSV(Array(arguments.dropFirst()))
case "ledger": do { try runLedger(Options(arguments.dropFirst())) } catch { fail("\(error)") }
default: fail(arguments.first.map { "unknown benchmark \($0)" } ?? "name a benchmark")
}
