import Foundation
import Workspace

/// `load [--sites N] [--batches N] [--rows N] [--readers N] [--seconds N] [--dir DIR]`: issue 15's
/// load test on loopback, with wrk (Debian's `wrk`) as the load tool. A generated trial is served
/// by `trialchain serve --accept-submissions` (the binary beside this one) with one witness
/// (`trialchain witness serve`) configured; then, at once, N sites each send their batches of
/// signed submissions of ROWS rows (one connection per site) while READERS connections fetch the
/// checkpoint and a full tile, and the server sends each new checkpoint to the witness. Prints
/// submissions/s and the p50/p99 latency of a submission and of a tile read; then checks that
/// every submission was committed exactly once with every row accounted for, that the witness
/// cosigned the latest checkpoint, and that `trialchain verify` passes.
func runLoad(_ arguments: [String]) {
    var sites = 8, batches = 10, rows = 1_000, readers = 50, seconds = 20
    var directory: String?
    var iterator = arguments.makeIterator()
    while let flag = iterator.next() {
        switch flag {
        case "--sites": sites = number(iterator.next() ?? "", flag)
        case "--batches": batches = number(iterator.next() ?? "", flag)
        case "--rows": rows = number(iterator.next() ?? "", flag)
        case "--readers": readers = Int(iterator.next() ?? "") ?? -1
        case "--seconds": seconds = number(iterator.next() ?? "", flag)
        case "--dir": directory = iterator.next()
        default: fail("unknown option \(flag)")
        }
    }
    guard (1...99).contains(sites), batches > 0, rows > 0, readers >= 0, seconds > 0 else {
        fail("--sites 1 to 99; --batches and --rows above 0; --readers 0 (no reader load) or more; --seconds above 0")
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("trialchain")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else { fail("no trialchain binary beside this one (\(binary.path))") }
    let wrk = "/usr/bin/wrk"
    guard FileManager.default.isExecutableFile(atPath: wrk) else { fail("the load tool wrk is missing: apt-get install wrk") }
    let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory()).appendingPathComponent("trialchain-load-\(getpid())")
    defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
    let workspace = root.appendingPathComponent("ws")
    let siteIDs = (1...sites).map { String(100 + $0) }
    var background: [Process] = []
    defer { for process in background where process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// Runs trialchain and returns its standard output; a failure ends the benchmark.
    @discardableResult
    func trialchain(_ arguments: [String], workspaceOption: Bool = true) -> String {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + (workspaceOption ? ["--workspace", workspace.path] : [])
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { fail("cannot run trialchain: \(error)") }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            fail("trialchain \(arguments.prefix(3).joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// Starts a server and returns the port it printed.
    func start(_ arguments: [String], workspaceOption: Bool) -> Int {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + (workspaceOption ? ["--workspace", workspace.path] : [])
        process.currentDirectoryURL = root
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { fail("cannot start trialchain \(arguments[0]): \(error)") }
        background.append(process)
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !seen.contains("(Ctrl-C stops)") { seen += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self) }
        guard let range = seen.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression), let port = Int(seen[range].split(separator: ":")[1]) else {
            fail("trialchain \(arguments[0]) did not start: \(seen)")
        }
        // Keep draining its access log so that it never blocks on a full pipe.
        err.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        return port
    }

    // The trial: enough rows at every site for its batches.
    var generator = TrialGenerator()
    generator.sites = siteIDs
    generator.withProblems = false
    generator.participants = sites * (batches * rows / 110 + 4)     // about 130 rows per participant
    let trial = root.appendingPathComponent("trial")
    do { try generator.write(to: trial) } catch { fail("\(error)") }
    print("load: \(sites) sites × \(batches) submissions of \(rows) rows, \(readers) tile readers, 1 witness; trialchain and wrk on loopback")
    trialchain(["init", "--trial", "BENCH-LOAD", "--signer-name", "Bench Operator"])
    trialchain(["ingest", "protocol", trial.appendingPathComponent("protocol.xml").path])
    trialchain(["ingest", "consents", trial.appendingPathComponent("consents").path])
    // 300 anchored files: the ledger's first level-0 tile is full (immutable), for the readers.
    let fill = root.appendingPathComponent("fill")
    try? FileManager.default.createDirectory(at: fill, withIntermediateDirectories: true)
    for index in 0..<300 { _ = FileManager.default.createFile(atPath: fill.appendingPathComponent("note-\(index).txt").path, contents: Data("note \(index)\n".utf8)) }
    trialchain(["anchor", fill.path])
    let tokens = root.appendingPathComponent("tokens"), keys = root.appendingPathComponent("keys"), bodies = root.appendingPathComponent("bodies")
    for folder in [tokens, keys, bodies] { try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    for site in siteIDs {
        let vkey = trialchain(["keys", "generate", "--name", "site-\(site).coordinator", "--out", keys.appendingPathComponent("\(site).key").path], workspaceOption: false)
        trialchain(["trust", "add", vkey, "--name", "Coordinator \(site)", "--may-sign", "submission", "--sites", site])
        let token = trialchain(["token", "create", "--name", "site \(site)", "--role", "site:\(site)"])
        _ = FileManager.default.createFile(atPath: tokens.appendingPathComponent(site).path, contents: Data(token.utf8))
    }
    trialchain(["trust", "require-submissions"])
    let witnessKey = trialchain(["keys", "generate", "--name", "witness.bench", "--witness", "--out", keys.appendingPathComponent("witness.key").path], workspaceOption: false)
    let ledgerKey = trialchain(["keys", "show", "ledger"])
    let witnessPort = start(["witness", "serve", "--key", keys.appendingPathComponent("witness.key").path, "--state", root.appendingPathComponent("witness-state.json").path,
                             "--log", ledgerKey, "--listen", "127.0.0.1:0"], workspaceOption: false)
    trialchain(["witness", "add", "http://127.0.0.1:\(witnessPort)", witnessKey])

    // The batches, signed by each site's key, as multipart bodies.
    let boundary = "trialchain-load-boundary"
    var expectedRows = 0
    for site in siteIDs {
        guard let text = try? String(contentsOf: trial.appendingPathComponent("measurements/site-\(site).csv"), encoding: .utf8) else { fail("no measurements for site \(site)") }
        let lines = text.split(separator: "\n")
        guard lines.count - 1 >= batches * rows else { fail("site \(site) has \(lines.count - 1) rows, fewer than \(batches * rows)") }
        let outbox = root.appendingPathComponent("outbox-\(site)")
        try? FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        for batch in 0..<batches {
            let name = "site-\(site)-batch-\(batch).csv"
            let csv = ([lines[0]] + lines[(1 + batch * rows)..<(1 + (batch + 1) * rows)]).joined(separator: "\n") + "\n"
            _ = FileManager.default.createFile(atPath: outbox.appendingPathComponent(name).path, contents: Data(csv.utf8))
            let envelope = outbox.appendingPathComponent("submission-\(batch).json")
            trialchain(["submit", "--key", keys.appendingPathComponent("\(site).key").path, "--site", site, "--name", "Coordinator \(site)",
                        "--trial", "BENCH-LOAD", "--out", envelope.path, outbox.appendingPathComponent(name).path], workspaceOption: false)
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n".utf8)
            body += (try? Data(contentsOf: envelope)) ?? Data()
            body += Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n\r\n".utf8) + Data(csv.utf8)
            body += Data("\r\n--\(boundary)--\r\n".utf8)
            _ = FileManager.default.createFile(atPath: bodies.appendingPathComponent("\(site)-\(batch + 1).bin").path, contents: body)
            expectedRows += rows
        }
    }
    let before = measurementRuns(workspace)
    let port = start(["serve", "--accept-submissions", "--port", "0"], workspaceOption: true)
    let scripts = root.appendingPathComponent("scripts")
    try? FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: scripts.appendingPathComponent("submit.lua").path, contents: Data(LoadScripts.submit.utf8))
    _ = FileManager.default.createFile(atPath: scripts.appendingPathComponent("read.lua").path, contents: Data(LoadScripts.read.utf8))

    // Both loads at once.
    func wrkRun(_ arguments: [String], output: URL) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try? FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        do { try process.run() } catch { fail("cannot run wrk: \(error)") }
        return process
    }
    try? FileManager.default.createDirectory(at: root.appendingPathComponent("done"), withIntermediateDirectories: true)
    let submitOutput = root.appendingPathComponent("wrk-submit.txt"), readOutput = root.appendingPathComponent("wrk-read.txt")
    let started = Date()
    let readersRun = readers == 0 ? nil : wrkRun(["-t", "\(min(2, readers))", "-c", "\(readers)", "-d", "\(seconds)s", "--latency", "-s", scripts.appendingPathComponent("read.lua").path,
                             "http://127.0.0.1:\(port)"], output: readOutput)
    let submitRun = wrkRun(["-t", "\(sites)", "-c", "\(sites)", "-d", "600s", "--timeout", "120s", "--latency", "-s", scripts.appendingPathComponent("submit.lua").path,
                            "http://127.0.0.1:\(port)", "--", root.path, "\(batches)", siteIDs.joined(separator: ","), boundary], output: submitOutput)
    // Each site's thread leaves a marker when its last answer arrives; then wrk is told to stop.
    let done = root.appendingPathComponent("done")
    var submitSeconds = 0.0
    while submitRun.isRunning {
        if ((try? FileManager.default.contentsOfDirectory(atPath: done.path))?.count ?? 0) >= sites {
            submitSeconds = Date().timeIntervalSince(started)
            kill(submitRun.processIdentifier, SIGINT)
            break
        }
        usleep(20_000)
    }
    submitRun.waitUntilExit()
    if submitSeconds == 0 { submitSeconds = Date().timeIntervalSince(started) }
    readersRun?.waitUntilExit()
    let submitText = (try? String(contentsOf: submitOutput, encoding: .utf8)) ?? ""
    let readText = (try? String(contentsOf: readOutput, encoding: .utf8)) ?? ""
    let committed = Int(LoadScripts.value("committed", in: submitText) ?? "") ?? -1
    let failedSubmissions = Int(LoadScripts.value("failed", in: submitText) ?? "") ?? -1
    let readFailures = readers == 0 ? 0 : Int(LoadScripts.value("failed", in: readText) ?? "") ?? -1
    let reads = readers == 0 ? 0 : Int(LoadScripts.value("reads", in: readText) ?? "") ?? -1
    print(String(format: "submissions: %d committed, %d failed in %.1f s = %.1f submissions/s (%d rows each, %d connections)",
                 committed, failedSubmissions, submitSeconds, Double(committed) / submitSeconds, rows, sites))
    print("  submission latency: p50 \(LoadScripts.value("p50", in: submitText) ?? "?")  p99 \(LoadScripts.value("p99", in: submitText) ?? "?")")
    if readers > 0 {
        if reads < 0 { print("tile reads: wrk printed no summary:\n" + readText) }
        print(String(format: "tile reads: %d, %d failed in %d s = %.0f reads/s (%d connections)", reads, readFailures, seconds, Double(reads) / Double(seconds), readers))
        print("  read latency: p50 \(LoadScripts.value("p50", in: readText) ?? "?")  p99 \(LoadScripts.value("p99", in: readText) ?? "?")")
    }
    for process in background where process.isRunning { process.terminate(); process.waitUntilExit() }
    background.removeAll()

    // Nothing lost or duplicated; the witness cosigned; verify passes.
    let after = measurementRuns(workspace)
    let runs = after.runs - before.runs, accounted = after.rows - before.rows
    print("ledger: \(runs) measurement stage runs (expected \(sites * batches)), \(accounted) rows accounted for as records or rejects (expected \(expectedRows))")
    let witnessed = trialchain(["witness", "list"])
    print("witness: " + (witnessed.split(separator: "\n").first.map(String.init) ?? "?"))
    let verify = trialchain(["verify"])
    print(verify.split(separator: "\n").last.map { "verify: passed, \($0)" } ?? "verify: passed")
    let ok = committed == sites * batches && failedSubmissions == 0 && readFailures == 0 && runs == sites * batches && accounted == expectedRows
        && witnessed.contains("(latest)")
    print(ok ? "load test: passed" : "load test: FAILED (see above)")
    if directory != nil { print("kept in \(root.path)") }
    if !ok { exit(1) }
}

/// Measurement stage runs in a workspace, and the rows they accounted for (records + rejects).
func measurementRuns(_ root: URL) -> (runs: Int, rows: Int) {
    guard let workspace = try? Workspace.open(at: root, readOnly: true), let runs = try? workspace.stageRuns() else { return (-1, -1) }
    let measurements = runs.filter { $0.kind == "ingest/measurements" }
    let rejected = measurements.reduce(0) { $0 + ((try? workspace.rejects(runID: $1.id).count) ?? 0) }
    return (measurements.count, measurements.reduce(0) { $0 + $1.recordCount } + rejected)
}

/// The wrk scripts: each submitting thread is one site sending its batches once, in order; the
/// readers cycle through the checkpoint and a full tile. Both count what failed.
enum LoadScripts {
    static let submit = #"""
    local threads, counter = {}, 0
    function setup(thread)
      counter = counter + 1
      thread:set("index", counter)
      table.insert(threads, thread)
    end
    function init(args)
      local batches, boundary = tonumber(args[2]), args[4]
      root = args[1]
      local sites = {}
      for s in string.gmatch(args[3], "[^,]+") do table.insert(sites, s) end
      site = sites[index]
      local f = io.open(root .. "/tokens/" .. site); token = f:read("*a"); f:close()
      bodies = {}
      for i = 1, batches do
        local b = io.open(root .. "/bodies/" .. site .. "-" .. i .. ".bin", "rb"); bodies[i] = b:read("*a"); b:close()
      end
      total, sent, committed, failed = batches, 0, 0, 0
      headers = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary, ["Authorization"] = "Bearer " .. token }
    end
    function request()
      sent = sent + 1
      local i = ((sent - 1) % total) + 1
      return wrk.format("POST", "/v1/submissions", headers, bodies[i])
    end
    function response(status, hdrs, body)
      if status == 200 and string.find(body, '"outcome":"committed"', 1, true) then committed = committed + 1
      else failed = failed + 1; io.stderr:write("site " .. site .. ": HTTP " .. status .. " " .. body .. "\n") end
      if committed + failed >= total then
        -- wrk's main thread sleeps for the whole duration: the harness interrupts it once every site is done.
        local marker = io.open(root .. "/done/" .. site, "w"); marker:close()
        wrk.thread:stop()
      end
    end
    function done(summary, latency, requests)
      local c, f = 0, 0
      for _, t in ipairs(threads) do c = c + t:get("committed"); f = f + t:get("failed") end
      io.write(string.format("committed %d\nfailed %d\np50 %.1fms\np99 %.1fms\n", c, f, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
    end
    """#

    static let read = #"""
    local threads = {}
    function setup(thread) table.insert(threads, thread) end
    function init(args)
      paths, n, ok, failed = { "/checkpoint", "/tile/0/000" }, 0, 0, 0
    end
    function request()
      n = n + 1
      return wrk.format("GET", paths[(n % #paths) + 1])
    end
    function response(status, headers, body)
      if status == 200 then ok = ok + 1 else failed = failed + 1 end
    end
    function done(summary, latency, requests)
      local o, f = 0, 0
      for _, t in ipairs(threads) do o = o + t:get("ok"); f = f + t:get("failed") end
      io.write(string.format("reads %d\nfailed %d\np50 %.2fms\np99 %.2fms\n", o + f, f, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
    end
    """#

    /// The value after `name ` on a line of wrk's output.
    static func value(_ name: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1)) }
    }
}
