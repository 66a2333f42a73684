import Foundation

/// `e2e [--participants N] [--days N] [--dir DIR]`: every step a user runs, each as its own
/// `trialchain` process (the binary beside this one), timed with its own peak memory (the child's
/// VmHWM, sampled every 5 ms while it runs): ingest, both sample contracts, every report, `prove record`,
/// `verify-proof`, `verify` and `verify --reexecute`; with `sqlite3 .import` of the same
/// measurement file in the same run, for the ratio the ingest goal is stated in. With
/// `--ingest-runs N` the measurement stage (each time on a copy of the workspace as the consents
/// stage left it) and `.import` alternate N times, and the median ratio is printed: on a shared
/// machine one pair can be off by a third either way.
func runEndToEnd(_ arguments: [String]) {
    var generator = TrialGenerator()
    generator.participants = 7_600
    generator.singleFile = true
    generator.withProblems = false
    var directory: String?
    var ingestRuns = 1
    var iterator = arguments.makeIterator()
    while let flag = iterator.next() {
        switch flag {
        case "--participants": generator.participants = number(iterator.next() ?? "", flag)
        case "--days": generator.diaryDays = number(iterator.next() ?? "", flag)
        case "--ingest-runs": ingestRuns = max(1, number(iterator.next() ?? "", flag))
        case "--dir": directory = iterator.next()
        default: fail("unknown option \(flag)")
        }
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("trialchain")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        fail("no trialchain binary beside this one (\(binary.path)): build both, e.g. swift build -c release --static-swift-stdlib")
    }
    let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory()).appendingPathComponent("trialchain-e2e-\(generator.participants)-\(getpid())")
    defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
    let trial = root.appendingPathComponent("trial"), workspace = root.appendingPathComponent("ws")
    do {
        try generator.write(to: trial)
    } catch {
        fail("\(error)")
    }
    let csv = try? FileManager.default.contentsOfDirectory(atPath: trial.appendingPathComponent("measurements").path).first { $0.hasSuffix(".csv") }
    guard let csv else { fail("the generated trial has no measurement file") }
    let measurements = trial.appendingPathComponent("measurements").appendingPathComponent(csv)
    let contracts = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Pipelines/contracts")
    print("end to end: \(generator.participants) participants, \(generator.diaryDays) diary days; each step a separate process")
    print("trialchain: \(binary.path), " + (swiftRuntimeIsShared(binary)
        ? "Swift runtime in shared libraries (the README's figures are for --static-swift-stdlib: about 6 ms less per process)"
        : "Swift runtime linked in (--static-swift-stdlib)"))

    func line(_ label: String, _ rest: String) {
        print(label.padding(toLength: max(label.count, 44), withPad: " ", startingAt: 0) + " " + rest)
    }
    /// Runs a program (posix_spawn, so that this process alone reaps it) and reports its wall
    /// time and its own peak resident memory.
    func step(_ label: String, _ program: URL, _ arguments: [String], output: URL? = nil) -> Double? {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([program.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = Date()
        guard posix_spawn(&pid, program.path, &actions, nil, argv, environ) == 0 else {
            line(label, "could not start")
            return nil
        }
        // The child's own peak: its VmHWM, sampled every 5 ms until it exits (wait4's ru_maxrss
        // would carry this process's peak into a child spawned from it).
        var status: Int32 = 0
        var peakKiB = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let hwm = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(hwm.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") {
                peakKiB = max(peakKiB, kib)
            }
            usleep(5_000)
        }
        let seconds = Date().timeIntervalSince(started)
        let ok = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        line(label, String(format: "%7.2f s  peak %5.0f MiB", seconds, Double(peakKiB) / 1024) + (ok ? "" : "  (failed)"))
        return ok ? seconds : nil
    }
    func trialchain(_ label: String, _ arguments: [String], output: URL? = nil, in workspace: URL = workspace) -> Double? {
        step(label, binary, arguments + ["--workspace", workspace.path], output: output)
    }

    _ = trialchain("init", ["init", "--trial", "BENCH-E2E", "--signer-name", "Bench"])
    _ = trialchain("ingest protocol", ["ingest", "protocol", trial.appendingPathComponent("protocol.xml").path])
    _ = trialchain("ingest consents", ["ingest", "consents", trial.appendingPathComponent("consents").path])
    let sqlite = URL(fileURLWithPath: "/usr/bin/sqlite3")
    let canImport = FileManager.default.isExecutableFile(atPath: sqlite.path)
    var ratios: [Double] = []
    for run in 1...ingestRuns {
        // Earlier runs work on a copy; the last one ingests into the workspace the later steps use.
        let target = run == ingestRuns ? workspace : root.appendingPathComponent("ws-run-\(run)")
        if target != workspace {
            try? FileManager.default.removeItem(at: target)
            do { try FileManager.default.copyItem(at: workspace, to: target) } catch { fail("cannot copy the workspace: \(error)") }
        }
        let suffix = ingestRuns > 1 ? " (\(run) of \(ingestRuns))" : ""
        let ingest = trialchain("ingest measurements" + suffix, ["ingest", "measurements", measurements.path], in: target)
        if target != workspace { try? FileManager.default.removeItem(at: target) }
        guard canImport, let ingest else { continue }
        let database = root.appendingPathComponent("import.sqlite")
        try? FileManager.default.removeItem(at: database)
        if let imported = step("sqlite3 .import (same file)" + suffix, sqlite, [database.path, ".mode csv", ".import \(measurements.path) m"]) {
            ratios.append(ingest / imported)
            line("ingest / .import" + suffix, String(format: "%7.2f×", ingest / imported))
        }
    }
    if ratios.count > 1 {
        let sorted = ratios.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        line("ingest / .import, median", String(format: "%7.2f×  (%.2f–%.2f over %d pairs)", median, sorted.first!, sorted.last!, sorted.count))
    }
    for contract in ["participant-payments", "dosing-adherence"] {
        _ = trialchain("contract \(contract)", ["contract", "run", contracts.appendingPathComponent("\(contract).yml").path])
    }
    for (type, name) in [("payouts", "participant-payments"), ("adherence", "dosing-adherence")] {
        for format in ["csv", "json", "html"] {
            _ = trialchain("report \(type) \(format)", ["report", type, "--contract", name, "--format", format,
                                                        "--out", root.appendingPathComponent("\(name).\(format)").path])
        }
    }
    let proof = root.appendingPathComponent("proof.json")
    // The record in the middle of the measurement run: after one consent record per participant.
    var rows = 0
    if let handle = FileHandle(forReadingAtPath: measurements.path) {
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { rows += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
        try? handle.close()
    }
    _ = trialchain("prove record (middle of the run)", ["prove", "record", "--id", "\(generator.participants + max(1, (rows - 1) / 2))", "--out", proof.path])
    _ = step("verify-proof", binary, ["verify-proof", proof.path])
    _ = trialchain("verify", ["verify"])
    _ = trialchain("verify --reexecute", ["verify", "--reexecute"])
    if directory != nil { print("kept in \(root.path)") }
}

/// Whether a binary loads the Swift runtime from shared libraries (as `ldd` lists them).
func swiftRuntimeIsShared(_ binary: URL) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
    process.arguments = [binary.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    let listed = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: listed, as: UTF8.self).contains("libswiftCore.so")
}
