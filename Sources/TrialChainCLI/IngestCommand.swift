import ArgumentParser
import Foundation
import Ingest
import Workspace

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Validate and anchor trial inputs: the protocol, consent forms, measurements.",
        discussion: """
            Each stage validates everything it reads, then commits its artifacts, records, rejects, \
            its signed attestation and a new checkpoint in one transaction: if it fails, the \
            workspace is as it was. Running a stage again on identical inputs appends nothing. A \
            corrected file for an artifact already ingested needs --reason and becomes a new \
            version; the old version and its anchors stay. A file whose content a later \
            correction superseded is refused (it would undo the correction) unless --allow-revert \
            says so.

            Order: protocol, then consents, then measurements.
            """,
        subcommands: [ProtocolStage.self, ConsentsStage.self, MeasurementsStage.self])

    struct StageOptions: ParsableArguments {
        @Option(help: ArgumentHelp("Why a corrected input replaces an ingested one (recorded in the attestation).", valueName: "text"))
        var reason: String?

        @Option(name: .customLong("max-rejects"), help: ArgumentHelp("Fail the whole stage, storing nothing, beyond this many rejects.", valueName: "n"))
        var maxRejects: Int?

        @Flag(name: .customLong("allow-revert"), help: "Let a file whose content a later correction superseded become the newest version again (a deliberate revert; needs --reason).")
        var allowRevert = false

        func validate() throws {
            if allowRevert && reason == nil { throw ValidationError("--allow-revert needs --reason TEXT: say why the superseded content becomes current again") }
        }

        func ingestOptions(layout: MeasurementLayout = try! MeasurementLayout()) -> IngestOptions {
            IngestOptions(reason: reason, maxRejects: maxRejects, layout: layout, allowRevert: allowRevert)
        }
    }

    struct ProtocolStage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "protocol",
            abstract: "Ingest the protocol: CDISC ODM 1.3.x XML, validated against the ODM 1.3.2 schema and TrialChain's extension.")
        @OptionGroup var options: WorkspaceOptions
        @OptionGroup var stage: StageOptions
        @Argument(help: ArgumentHelp("The ODM file.", valueName: "file")) var file: String

        func run() throws {
            let workspace = try options.open()
            let outcome = try Ingestor(workspace: workspace).ingestProtocol(
                try InputFile(url: URL(fileURLWithPath: file), name: IngestCommand.displayName(file)),
                options: stage.ingestOptions())
            IngestCommand.report(outcome, what: "protocol")
        }
    }

    struct ConsentsStage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consents",
            abstract: "Ingest consents: FHIR R4 Consent resources (JSON files or Bundles) or consent registers exported from an EDC (CSV); directories are searched for *.json and *.csv.",
            discussion: """
                A consent register has the header participant,form_version,signed_at,document and \
                optionally withdrawn_at and document_sha256: one row per signed form, times in ISO \
                8601 with a time zone, the document relative to the register's folder.
                """)
        @OptionGroup var options: WorkspaceOptions
        @OptionGroup var stage: StageOptions
        @Argument(help: ArgumentHelp("Consent files or directories.", valueName: "path")) var paths: [String]

        @Option(name: .customLong("approve-form-version"), help: ArgumentHelp("A consent form version this stage approves, for a protocol that declares none (a REDCap export); repeatable, recorded in the attestation.", valueName: "version"))
        var approvedFormVersions: [String] = []

        func run() throws {
            let workspace = try options.open()
            let files = try IngestCommand.inputs(paths, extensions: ["json", "csv"])
            var ingestOptions = stage.ingestOptions()
            ingestOptions.approvedFormVersions = approvedFormVersions
            let outcome = try Ingestor(workspace: workspace).ingestConsents(files, options: ingestOptions)
            IngestCommand.report(outcome, what: "consents")
        }
    }

    struct MeasurementsStage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "measurements",
            abstract: "Ingest measurement CSVs (directories are searched for *.csv).",
            discussion: """
                The long format has one row per measurement and the header \
                participant,site,visit,item,value,unit,collected_at (unit may be left out). Other \
                layouts name their columns with --map, e.g. --map participant=SUBJID,visit=VISITOID. \
                Each row is checked against the protocol (visit, item, data type, range checks, code \
                list, unit) and the participant's consent at collected_at; failures are listed by \
                `trialchain rejects`.

                REDCap: --layout redcap reads REDCap's standard CSV data export (raw values): the \
                record id is the participant, redcap_event_name the visit, redcap_data_access_group \
                the site (or --site), each filled field one measurement. REDCap keeps no time per \
                value and no time zone: --date-field names the field dating each row and \
                --time-zone the sites' wall clocks, e.g. \
                  trialchain ingest measurements export.csv --layout redcap --date-field visit_date \
                      --time-zone Europe/Berlin --time-zone 102=America/New_York
                """)
        @OptionGroup var options: WorkspaceOptions
        @OptionGroup var stage: StageOptions
        @Option(help: ArgumentHelp("Column names for a layout other than the long format: field=COLUMN,…", valueName: "mapping"))
        var map: String?
        @Option(help: ArgumentHelp("long (default) or redcap: a REDCap data export (standard CSV, raw values).", valueName: "layout"))
        var layout: String = "long"
        @Option(name: .customLong("date-field"), help: ArgumentHelp("REDCap: the field whose value dates a row (repeatable: the first filled one counts).", valueName: "field"))
        var dateFields: [String] = []
        @Option(name: .customLong("time-zone"), help: ArgumentHelp("REDCap: the IANA time zone of local dates and times, for every site (ZONE) or one (SITE=ZONE); repeatable.", valueName: "zone"))
        var timeZones: [String] = []
        @Option(help: ArgumentHelp("REDCap: the site of rows without a data access group.", valueName: "site"))
        var site: String?
        @Option(name: .customLong("unit"), help: ArgumentHelp("REDCap: a field's unit, FIELD=UNIT (REDCap has none); repeatable.", valueName: "field=unit"))
        var units: [String] = []
        @Option(name: .customLong("submission"), help: ArgumentHelp(
            "A site-signed submission (`trialchain submit`): its files, beside it, are ingested; rows of another site are rejected (repeatable; instead of paths).",
            valueName: "file"))
        var submissions: [String] = []
        @Argument(help: ArgumentHelp("CSV files or directories.", valueName: "path")) var paths: [String] = []

        func run() throws {
            guard paths.isEmpty != submissions.isEmpty else {
                throw UsageError(paths.isEmpty ? "give the measurement files (paths), or --submission FILE" : "give either paths or --submission files, not both: a submission names its own files")
            }
            let workspace = try options.open()
            let layout: MeasurementLayout
            switch self.layout {
            case "long": layout = try map.map(MeasurementLayout.init(mapping:)) ?? MeasurementLayout()
            case "redcap":
                guard map == nil else { throw UsageError("--map is for the long layout; a REDCap export names its fields") }
                var unitMap: [String: String] = [:]
                for pair in units {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw UsageError("--unit takes FIELD=UNIT, found \(pair)") }
                    unitMap[parts[0]] = parts[1]
                }
                layout = try MeasurementLayout(redcap: REDCapLayout(dateFields: dateFields.flatMap { $0.split(separator: ",").map(String.init) },
                                                                   timeZones: REDCapLayout.timeZones(timeZones), site: site, units: unitMap))
            default: throw UsageError("--layout is long or redcap, found \(self.layout)")
            }
            var files: [InputFile] = []
            var ingestOptions = stage.ingestOptions(layout: layout)
            if submissions.isEmpty {
                files = try IngestCommand.inputs(paths, extensions: ["csv", "xml"])
            } else {
                for path in submissions {
                    let (submission, named) = try Submission.load(at: URL(fileURLWithPath: path), name: IngestCommand.displayName(path))
                    ingestOptions.submissions.append(submission)
                    files += named
                }
            }
            let started = Date()
            let outcome = try Ingestor(workspace: workspace).ingestMeasurements(
                files, options: ingestOptions) { rows, file in
                    let rate = Double(rows) / max(Date().timeIntervalSince(started), 0.001)
                    Terminal.progress("measurements: \(rows) rows (\(Int(rate)) rows/s), \(file)…")
                }
            Terminal.endProgress()
            IngestCommand.report(outcome, what: "measurements")
        }
    }

    static func displayName(_ path: String) -> String {
        var name = path
        while name.hasPrefix("./") { name.removeFirst(2) }
        return name
    }

    /// Files as given, directories expanded to their files with the extension, sorted.
    static func inputs(_ paths: [String], extensions wanted: Set<String>) throws -> [InputFile] {
        var names: [(path: String, root: URL?)] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let base = path.hasSuffix("/") ? String(path.dropLast()) : path
                let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { wanted.contains(($0 as NSString).pathExtension.lowercased()) && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
                    .sorted().map { (base + "/" + $0, URL(fileURLWithPath: base)) }
                guard !found.isEmpty else { throw UsageError("\(path) contains no \(wanted.sorted().map { "." + $0 }.joined(separator: " or ")) files") }
                names += found
            } else {
                names.append((path, nil))
            }
        }
        return try names.map { try InputFile(url: URL(fileURLWithPath: $0.path), name: displayName($0.path), root: $0.root) }
    }

    static func report(_ outcome: StageOutcome, what: String) {
        switch outcome {
        case let .unchanged(entry):
            print("\(what): unchanged: these inputs were already ingested (ledger entry \(entry)); nothing appended")
        case let .committed(receipt):
            let versions = receipt.artifacts.map { "\($0.name) v\($0.version)" }.joined(separator: ", ")
            print("\(what): \(receipt.recordCount) records, \(receipt.rejectCount) rejected; stage run \(receipt.runID), ledger entry \(receipt.entryIndex), checkpoint size \(receipt.ledgerSize)")
            if receipt.artifacts.count > 6 {
                print("artifacts: \(receipt.artifacts.count) new versions (\(receipt.artifacts.prefix(3).map { "\($0.name) v\($0.version)" }.joined(separator: ", ")), …)")
            } else if !versions.isEmpty {
                print("artifacts: \(versions)")
            }
            if receipt.rejectCount > 0 { print("see the rejects with: trialchain rejects --run \(receipt.runID)") }
        }
    }
}
