import Foundation
import Testing

/// Issue 16: the explorer in a real browser (Debian's chromium through Selenium): the page's own
/// checks pass on the sample trial and catch a server that alters a tile, an entry or the
/// checkpoint (Tests/Browser/explorer_test.py). Screenshots go to .build/explorer-screenshots.
@Suite("The explorer in chromium", .serialized)
struct ExplorerBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let needed = ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/lib/python3/dist-packages/selenium"]

    @Test func theExplorerVerifiesInTheBrowserAndCatchesAHostileServer() throws {
        let missing = Self.needed.filter { !FileManager.default.fileExists(atPath: $0) }
        if !missing.isEmpty {
            // CI installs them (.ci/run); elsewhere the test says what to install.
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("missing \(missing.joined(separator: ", ")): apt-get install chromium chromium-driver python3-selenium")
            } else {
                print("explorer browser test skipped: apt-get install chromium chromium-driver python3-selenium")
            }
            return
        }
        let sandbox = CLISandbox()
        try sandbox.copySampleTrial()
        #expect(try sandbox.run(["run", "Pipelines/demo.yml"]).status == 0)
        // A file name holding HTML: the page must show it as text.
        sandbox.file("weird/<img src=x onerror=alert(1)>.txt", "x\n")
        #expect(try sandbox.run(["anchor", "weird/<img src=x onerror=alert(1)>.txt"]).status == 0)
        let key = try sandbox.run(["keys", "show", "ledger"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try sandbox.run(["token", "create", "--name", "browser auditor", "--role", "auditor"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let site = try sandbox.run(["token", "create", "--name", "browser site 102", "--role", "site:102"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, said) = try sandbox.startServer(["serve", "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        guard let range = said.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
            Issue.record("serve did not start: \(said)")
            return
        }
        let out = Self.repository.appendingPathComponent(".build/explorer-screenshots")
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        browser.arguments = [Self.repository.appendingPathComponent("Tests/Browser/explorer_test.py").path,
                             "--server", String(said[range]), "--key", key, "--auditor-token", token, "--site-token", site, "--out", out.path]
        let pipe = Pipe()
        browser.standardOutput = pipe
        browser.standardError = pipe
        try browser.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()
        #expect(browser.terminationStatus == 0, "\(output)")
        #expect(output.contains("all explorer checks passed"), "\(output)")
    }
}
