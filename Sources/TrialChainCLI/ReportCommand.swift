import ArgumentParser
import Foundation
import Reports
import Workspace

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Payout or adherence report from the latest contract output, anchored as a stage.",
        discussion: """
            Renders the latest output of the payouts (or adherence) contract as CSV, canonical \
            JSON or one self-contained HTML file, anchors the report's digest in the ledger (a \
            `report` stage; the same output always renders to the same bytes, so asking again \
            appends nothing) and writes it. Every payout line names its milestone, visit, date \
            earned and the ids and leaf hashes of the records behind it.

            Without --out the report goes to <workspace>/reports/<type>/<contract>.<format>.

            Examples:
              trialchain report payouts --format html --out payouts.html
              trialchain report adherence --format csv --out -
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case payouts, adherence
    }

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("payouts or adherence.", valueName: "kind"))
    var kind: Kind

    @Option(help: ArgumentHelp("csv, json or html.", valueName: "format"))
    var format: ReportFormat = .html

    @Option(help: ArgumentHelp("Write the report to this file ('-' for standard output).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("The contract's name, when several contracts of this kind have run.", valueName: "name"))
    var contract: String?

    func run() throws {
        let workspace = try options.open()
        let runner = ReportRunner(workspace: workspace)
        let versions = try runner.contractOutputs(type: kind.rawValue, name: contract)
        if out != nil && versions.count > 1 {
            throw UsageError("\(versions.count) \(kind.rawValue) contracts have run (\(versions.map(\.name).joined(separator: ", "))): choose one with --contract NAME")
        }
        let (outcome, reports) = try runner.run(versions, formats: [format], stage: "report/\(kind.rawValue)")
        let anchored: String
        switch outcome {
        case let .unchanged(entry): anchored = "already anchored at ledger entry \(entry)"
        case let .committed(receipt): anchored = "anchored at ledger entry \(receipt.entryIndex)"
        }
        if out == "-" {
            try ReportRunner.writeToStandardOutput(reports[0])
            Terminal.note("\(reports[0].name): \(anchored)")
            return
        }
        let paths: [URL]
        if let out {
            let url = URL(fileURLWithPath: out)
            try ReportRunner.write(reports[0], to: url)
            paths = [url]
        } else {
            paths = try ReportRunner.write(reports, under: workspace.layout.root.appendingPathComponent("reports"))
        }
        for (report, path) in zip(reports, paths) { print("\(path.path) (\(report.name), \(anchored))") }
    }
}

extension ReportFormat: ExpressibleByArgument {}
