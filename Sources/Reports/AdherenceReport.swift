import Attestation
import Contracts
import Crypto
import MerkleLog
import Workspace

/// Renders an adherence artifact: per participant (with the diary records counted), per arm, per
/// site and overall, flagging participants below the threshold.
enum AdherenceReport {
    static func render(_ output: ContractOutputSource, _ members: [String: JSONValue], _ context: ReportContext, _ format: ReportFormat,
                       into out: HashingOutput) throws {
        let threshold = Int(members["thresholdBasisPoints"]?.int ?? 8000)
        switch format {
        case .json:
            try JSONReport.write(type: "adherence", output, members: members, context: context, into: out)
        case .csv:
            let table = CSVTable(header: ["level", "key", "site", "arm", "period_from", "period_to", "days", "doses_scheduled", "doses_taken",
                                          "days_covered", "pdc", "doses_ratio", "below_threshold", "participants", "duplicate_entries",
                                          "conflicting_days", "records", "records_sha256", "notes"], into: out)
            try output.participants { p in
                table.row(["participant", p["participant"]?.text ?? "", p["site"]?.stringValue ?? "", p["arm"]?.stringValue ?? "",
                           p["periodFrom"]?.stringValue ?? "", p["periodTo"]?.stringValue ?? "", String(p["daysInPeriod"]?.int ?? 0),
                           String(p["dosesScheduled"]?.int ?? 0), String(p["dosesTaken"]?.int ?? 0), String(p["daysCovered"]?.int ?? 0),
                           percent(p["pdcBasisPoints"]), percent(p["dosesBasisPoints"]), p["belowThreshold"] == .bool(true) ? "yes" : "no", "1",
                           String(p["duplicateEntries"]?.int ?? 0), String(p["conflictingDays"]?.int ?? 0),
                           Evidence.ranges(p["records"]), leafDigest(p["records"]), (p["notes"]?.list ?? []).map(\.text).joined(separator: "; ")])
            }
            for (level, groups) in [("arm", members["arms"]?.list ?? []), ("site", members["sites"]?.list ?? []), ("overall", [members["overall"] ?? .null])] {
                for g in groups {
                    table.row([level, g["key"]?.text ?? "", "", "", "", "", "", String(g["dosesScheduled"]?.int ?? 0), String(g["dosesTaken"]?.int ?? 0), "",
                               percent(g["meanPdcBasisPoints"]), percent(g["pooledBasisPoints"]), String(g["belowThreshold"]?.int ?? 0),
                               String(g["participants"]?.int ?? 0), "", "", "", "",
                               "\(g["evaluable"]?.int ?? 0) evaluable; pdc is the mean of participants', doses_ratio pooled; below_threshold counts participants"])
                }
            }
        case .html:
            try html(output, context, threshold, into: out)
        }
    }

    static func percent(_ value: JSONValue?) -> String { AdherenceResult.percent(value?.integerValue.map(Int.init)) }

    /// SHA-256 over the leaf hashes (32 bytes each, in id order): one digest for a long list of records.
    static func leafDigest(_ records: JSONValue?) -> String {
        var hasher = SHA256()
        for ref in records?.list ?? [] {
            if let leaf = TreeHash(hex: ref["leafHash"]?.text ?? "") { hasher.update(data: leaf.bytes) }
        }
        return Hex.encode(hasher.finalize())
    }

    /// The page: pooled figures, a chart of every evaluable participant, then a table of them.
    /// A first pass over the output counts the chart's bars and finds the largest (the chart's
    /// size and scale come first); the second writes the chart and spools the table.
    static func html(_ output: ContractOutputSource, _ context: ReportContext, _ threshold: Int, into out: HashingOutput) throws {
        var evaluable = 0, largest = 0
        let members = try output.members { p in
            guard let pdc = p["pdcBasisPoints"]?.integerValue else { return }
            evaluable += 1
            largest = max(largest, Int(pdc))
        }
        let contract = members["contract"]
        let page = HTMLPage(title: "Dosing adherence · \(context.trial) · \(contract?["name"]?.text ?? "")", into: out)
        page.raw("<h1>Dosing adherence</h1>\n" + context.htmlMeta(contract))
        let overall = members["overall"]
        page.raw("<p>Threshold <b>\(AdherenceResult.percent(threshold))</b> of days covered. \(overall?["belowThreshold"]?.int ?? 0) of "
                 + "\(overall?["evaluable"]?.int ?? 0) evaluable participants are below it; pooled doses taken / scheduled "
                 + "\(percent(overall?["pooledBasisPoints"])), mean proportion of days covered \(percent(overall?["meanPdcBasisPoints"])).</p>\n")
        func groupTable(_ title: String, _ groups: [JSONValue]) {
            page.raw("<h2>\(title)</h2>\n")
            page.table([title == "Per arm" ? "Arm" : "Site", "Participants", "Evaluable", "Below threshold", "Doses taken", "Doses scheduled", "Pooled", "Mean PDC"],
                       groups.map { g in
                           (cells: [HTMLPage.escape(g["key"]?.text ?? "") + (g["name"]?.stringValue.map { " · " + HTMLPage.escape($0) } ?? ""),
                                    "\(g["participants"]?.int ?? 0)", "\(g["evaluable"]?.int ?? 0)", "\(g["belowThreshold"]?.int ?? 0)",
                                    "\(g["dosesTaken"]?.int ?? 0)", "\(g["dosesScheduled"]?.int ?? 0)", percent(g["pooledBasisPoints"]), percent(g["meanPdcBasisPoints"])],
                            rowClass: g["key"]?.text == "all" ? "total" : nil)
                       }, numeric: [1, 2, 3, 4, 5, 6, 7])
        }
        if !(members["arms"]?.list ?? []).isEmpty { groupTable("Per arm", members["arms"]?.list ?? []) }
        groupTable("Per site", (members["sites"]?.list ?? []) + [overall ?? .null])

        let chart = BarChart(title: "Proportion of days covered per participant", count: evaluable, scaleMax: 10_000, largest: largest)
        page.raw(chart.open)
        let tableSpool = try out.spool()
        let table = HTMLPage(fragmentInto: tableSpool)
        let numeric: Set<Int> = [4, 5, 6, 7]
        table.tableStart(["Participant", "Site", "Arm", "Period", "Taken / scheduled", "Days covered", "PDC", "Doses", "Records", "Notes"], numeric: numeric)
        var bar = 0
        try output.participants { p in
            if let pdc = p["pdcBasisPoints"]?.integerValue {
                page.raw(chart.bar(bar, .init(label: p["participant"]?.text ?? "", value: Int(pdc), caption: percent(p["pdcBasisPoints"]),
                                              highlighted: p["belowThreshold"] == .bool(true))))
                bar += 1
            }
            let period = p["periodFrom"]?.stringValue.map { "\($0) … \(p["periodTo"]?.stringValue ?? "")" } ?? "–"
            table.tableRow([HTMLPage.escape(p["participant"]?.text ?? ""), HTMLPage.escape(p["site"]?.stringValue ?? "–"),
                            HTMLPage.escape(p["arm"]?.stringValue ?? "–"), HTMLPage.escape(period),
                            "\(p["dosesTaken"]?.int ?? 0) / \(p["dosesScheduled"]?.int ?? 0)", "\(p["daysCovered"]?.int ?? 0) / \(p["daysInPeriod"]?.int ?? 0)",
                            percent(p["pdcBasisPoints"]), percent(p["dosesBasisPoints"]),
                            "<span class=\"ev\">\(HTMLPage.escape(Evidence.ranges(p["records"])))</span>",
                            HTMLPage.escape((p["notes"]?.list ?? []).map(\.text).joined(separator: "; "))],
                           rowClass: p["belowThreshold"] == .bool(true) ? "flag" : nil, numeric: numeric)
        }
        table.tableEnd()
        // The file changed between the passes only if it was altered: each pass checks the digest.
        guard bar == evaluable else { throw WorkspaceError.ledgerInconsistent("the contract output changed while it was read") }
        page.raw(chart.close(reference: (threshold, "threshold \(AdherenceResult.percent(threshold))")))
        page.raw("<h2>Per participant</h2>\n<p>Records: the diary entries counted and the record dating the period's start (record ids; the CSV and JSON reports give every leaf hash). "
                 + "<span class=\"legend\"><span class=\"flagged\">Highlighted rows</span> (and red bars above) are below the threshold.</span></p>\n")
        try out.write(contentsOf: tableSpool)
        page.raw("<footer>Rendered by trialchain from the anchored artifact above; the same artifact renders to the same bytes.</footer>\n")
        page.end()
    }
}
