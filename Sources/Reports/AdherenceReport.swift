import Attestation
import Contracts
import Crypto
import MerkleLog

/// Renders an adherence artifact: per participant (with the diary records counted), per arm, per
/// site and overall, flagging participants below the threshold.
enum AdherenceReport {
    static func render(_ output: JSONValue, _ context: ReportContext, _ format: ReportFormat) -> [UInt8] {
        let threshold = Int(output["thresholdBasisPoints"]?.int ?? 8000)
        func percent(_ value: JSONValue?) -> String { AdherenceResult.percent(value?.integerValue.map(Int.init)) }
        switch format {
        case .json:
            return CanonicalJSON.encode(["report": "adherence", "context": context.json, "adherence": output])
        case .csv:
            var table = CSVTable(header: ["level", "key", "site", "arm", "period_from", "period_to", "days", "doses_scheduled", "doses_taken",
                                          "days_covered", "pdc", "doses_ratio", "below_threshold", "participants", "duplicate_entries",
                                          "conflicting_days", "records", "records_sha256", "notes"])
            for p in output["participants"]?.list ?? [] {
                table.row(["participant", p["participant"]?.text ?? "", p["site"]?.stringValue ?? "", p["arm"]?.stringValue ?? "",
                           p["periodFrom"]?.stringValue ?? "", p["periodTo"]?.stringValue ?? "", String(p["daysInPeriod"]?.int ?? 0),
                           String(p["dosesScheduled"]?.int ?? 0), String(p["dosesTaken"]?.int ?? 0), String(p["daysCovered"]?.int ?? 0),
                           percent(p["pdcBasisPoints"]), percent(p["dosesBasisPoints"]), p["belowThreshold"] == .bool(true) ? "yes" : "no", "1",
                           String(p["duplicateEntries"]?.int ?? 0), String(p["conflictingDays"]?.int ?? 0),
                           Evidence.ranges(p["records"]), leafDigest(p["records"]), (p["notes"]?.list ?? []).map(\.text).joined(separator: "; ")])
            }
            for (level, groups) in [("arm", output["arms"]?.list ?? []), ("site", output["sites"]?.list ?? []), ("overall", [output["overall"] ?? .null])] {
                for g in groups {
                    table.row([level, g["key"]?.text ?? "", "", "", "", "", "", String(g["dosesScheduled"]?.int ?? 0), String(g["dosesTaken"]?.int ?? 0), "",
                               percent(g["meanPdcBasisPoints"]), percent(g["pooledBasisPoints"]), String(g["belowThreshold"]?.int ?? 0),
                               String(g["participants"]?.int ?? 0), "", "", "", "",
                               "\(g["evaluable"]?.int ?? 0) evaluable; pdc is the mean of participants', doses_ratio pooled; below_threshold counts participants"])
                }
            }
            return table.bytes
        case .html:
            return html(output, context, threshold, percent)
        }
    }

    /// SHA-256 over the leaf hashes (32 bytes each, in id order): one digest for a long list of records.
    static func leafDigest(_ records: JSONValue?) -> String {
        var hasher = SHA256()
        for ref in records?.list ?? [] {
            if let leaf = TreeHash(hex: ref["leafHash"]?.text ?? "") { hasher.update(data: leaf.bytes) }
        }
        return Hex.encode(hasher.finalize())
    }

    static func html(_ output: JSONValue, _ context: ReportContext, _ threshold: Int, _ percent: (JSONValue?) -> String) -> [UInt8] {
        let contract = output["contract"]
        var page = HTMLPage(title: "Dosing adherence · \(context.trial) · \(contract?["name"]?.text ?? "")")
        page.raw("<h1>Dosing adherence</h1>\n" + context.htmlMeta(contract))
        let participants = output["participants"]?.list ?? []
        let overall = output["overall"]
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
        if !(output["arms"]?.list ?? []).isEmpty { groupTable("Per arm", output["arms"]?.list ?? []) }
        groupTable("Per site", (output["sites"]?.list ?? []) + [overall ?? .null])
        let evaluable = participants.filter { $0["pdcBasisPoints"]?.integerValue != nil }
        page.raw(BarChart(title: "Proportion of days covered per participant",
                          bars: evaluable.map { .init(label: $0["participant"]?.text ?? "", value: Int($0["pdcBasisPoints"]?.int ?? 0),
                                                      caption: percent($0["pdcBasisPoints"]), highlighted: $0["belowThreshold"] == .bool(true)) },
                          scaleMax: 10_000, reference: (threshold, "threshold \(AdherenceResult.percent(threshold))")).svg)
        page.raw("<h2>Per participant</h2>\n<p>Records: the diary entries counted and the record dating the period's start (record ids; the CSV and JSON reports give every leaf hash). "
                 + "<span class=\"legend\"><span class=\"flagged\">Highlighted rows</span> (and red bars above) are below the threshold.</span></p>\n")
        page.table(["Participant", "Site", "Arm", "Period", "Taken / scheduled", "Days covered", "PDC", "Doses", "Records", "Notes"],
                   participants.map { p in
                       let period = p["periodFrom"]?.stringValue.map { "\($0) … \(p["periodTo"]?.stringValue ?? "")" } ?? "–"
                       return (cells: [HTMLPage.escape(p["participant"]?.text ?? ""), HTMLPage.escape(p["site"]?.stringValue ?? "–"),
                                       HTMLPage.escape(p["arm"]?.stringValue ?? "–"), HTMLPage.escape(period),
                                       "\(p["dosesTaken"]?.int ?? 0) / \(p["dosesScheduled"]?.int ?? 0)", "\(p["daysCovered"]?.int ?? 0) / \(p["daysInPeriod"]?.int ?? 0)",
                                       percent(p["pdcBasisPoints"]), percent(p["dosesBasisPoints"]),
                                       "<span class=\"ev\">\(HTMLPage.escape(Evidence.ranges(p["records"])))</span>",
                                       HTMLPage.escape((p["notes"]?.list ?? []).map(\.text).joined(separator: "; "))],
                               rowClass: p["belowThreshold"] == .bool(true) ? "flag" : nil)
                   }, numeric: [4, 5, 6, 7])
        page.raw("<footer>Rendered by trialchain from the anchored artifact above; the same artifact renders to the same bytes.</footer>\n")
        return page.bytes
    }
}
