import Attestation
import Contracts

/// Renders a payouts artifact: every line with its milestone, visit, date earned, amount and the
/// records that justify it; totals per participant, per site and for the trial.
enum PayoutReport {
    static func render(_ output: JSONValue, _ context: ReportContext, _ format: ReportFormat) -> [UInt8] {
        let code = output["currency"]?["code"]?.text ?? ""
        let currency = Currency(code: code) ?? Currency(code: "EUR")!
        func money(_ value: JSONValue?) -> String { currency.format(value?.int ?? 0) }
        switch format {
        case .json:
            return CanonicalJSON.encode(["report": "payouts", "context": context.json, "payouts": output])
        case .csv:
            var table = CSVTable(header: ["row", "participant", "site", "milestone", "visit", "status", "earned_on", "study_day", "window",
                                          "earned_minor", "amount_minor", "amount", "currency", "records", "notes"])
            for participant in output["participants"]?.list ?? [] {
                let id = participant["participant"]?.text ?? "", site = participant["site"]?.stringValue ?? ""
                for line in participant["lines"]?.list ?? [] {
                    let window = line["window"].flatMap { $0 == .null ? nil : "\($0["from"]?.int ?? 0)..\($0["to"]?.int ?? 0)" } ?? ""
                    table.row(["line", id, site, line["milestone"]?.text ?? "", line["visit"]?.stringValue ?? "", line["status"]?.text ?? "",
                               line["earnedOn"]?.stringValue ?? "", line["studyDay"]?.integerValue.map(String.init) ?? "", window,
                               String(line["earned"]?.int ?? 0), String(line["amount"]?.int ?? 0), money(line["amount"]), code,
                               Evidence.pairs(line["records"]), (line["notes"]?.list ?? []).map(\.text).joined(separator: "; ")])
                }
                let tax = (participant["taxYears"]?.list ?? []).map { "\($0["year"]?.int ?? 0): \(money($0["total"]))\($0["reportable"] == .bool(true) ? " reportable" : "")" }
                table.row(["participant-total", id, site, "", "", "", "", "", "", "", String(participant["total"]?.int ?? 0), money(participant["total"]), code,
                           Evidence.pairs(participant["consentRecords"]), tax.joined(separator: "; ")])
            }
            for site in output["sites"]?.list ?? [] {
                table.row(["site-total", "", site["site"]?.text ?? "", "", "", "", "", "", "", "", String(site["total"]?.int ?? 0), money(site["total"]), code, "",
                           "\(site["participants"]?.int ?? 0) participants, \(site["reportableParticipants"]?.int ?? 0) tax-reportable"])
            }
            table.row(["trial-total", "", "", "", "", "", "", "", "", "", String(output["total"]?.int ?? 0), money(output["total"]), code, "", ""])
            return table.bytes
        case .html:
            return html(output, context, currency, money)
        }
    }

    static func html(_ output: JSONValue, _ context: ReportContext, _ currency: Currency, _ money: (JSONValue?) -> String) -> [UInt8] {
        let contract = output["contract"]
        var page = HTMLPage(title: "Participant payouts · \(context.trial) · \(contract?["name"]?.text ?? "")")
        page.raw("<h1>Participant payouts</h1>\n" + context.htmlMeta(contract))
        let participants = output["participants"]?.list ?? []
        let reportable = participants.filter { $0["taxYears"]?.list.contains { $0["reportable"] == .bool(true) } == true }
        page.raw("<p>Total <b>\(money(output["total"])) \(currency.code)</b> to \(participants.count) participants"
                 + (output["taxThreshold"]?.integerValue.map { " · tax reporting from \(currency.format($0)) \(currency.code) a year: \(reportable.count) participant(s) reportable" } ?? "")
                 + ". Amounts in \(currency.code), computed in integer minor units.</p>\n")
        let sites = output["sites"]?.list ?? []
        page.raw(BarChart(title: "Payouts by site (\(currency.code))",
                          bars: sites.map { .init(label: "Site \($0["site"]?.text ?? "")", value: Int($0["total"]?.int ?? 0), caption: money($0["total"])) },
                          scaleMax: Int(sites.map { $0["total"]?.int ?? 0 }.max() ?? 0)).svg)
        page.raw("<h2>Per site</h2>\n")
        page.table(["Site", "Participants", "Tax-reportable", "Total (\(currency.code))"],
                   sites.map { site in
                       (cells: [HTMLPage.escape(site["site"]?.text ?? ""), "\(site["participants"]?.int ?? 0)", "\(site["reportableParticipants"]?.int ?? 0)", money(site["total"])], rowClass: nil)
                   } + [(cells: ["All sites", "\(participants.count)", "\(reportable.count)", money(output["total"])], rowClass: "total")],
                   numeric: [1, 2, 3])
        page.raw("<h2>Per participant</h2>\n")
        page.table(["Participant", "Site", "Consented", "Withdrew", "Day one", "Tax", "Total (\(currency.code))"],
                   participants.map { p in
                       let tax = (p["taxYears"]?.list ?? []).map { "\($0["year"]?.int ?? 0): \(money($0["total"]))\($0["reportable"] == .bool(true) ? " <b>reportable</b>" : "")" }
                       let flagged = p["taxYears"]?.list.contains { $0["reportable"] == .bool(true) } == true
                       return (cells: ["<a href=\"#\(HTMLPage.escape(p["participant"]?.text ?? ""))\">\(HTMLPage.escape(p["participant"]?.text ?? ""))</a>",
                                       HTMLPage.escape(p["site"]?.stringValue ?? "–"), HTMLPage.escape(String((p["consentedAt"]?.text ?? "").prefix(10))),
                                       HTMLPage.escape(p["withdrawnAt"]?.stringValue.map { String($0.prefix(10)) } ?? "–"),
                                       HTMLPage.escape(p["dayOne"]?.stringValue ?? "–"), tax.joined(separator: "<br>"), money(p["total"])],
                               rowClass: flagged ? "flag" : nil)
                   }, numeric: [6])
        page.raw("<h2>Lines and evidence</h2>\n<p>Each line names the records that justify it as <code>#id·leaf hash</code> (hover for the whole hash).</p>\n")
        for p in participants {
            let id = HTMLPage.escape(p["participant"]?.text ?? "")
            page.raw("<h3 id=\"\(id)\">\(id) · site \(HTMLPage.escape(p["site"]?.stringValue ?? "–")) · \(money(p["total"])) \(currency.code)</h3>\n")
            page.table(["Milestone", "Status", "Earned on", "Study day", "Window", "Amount", "Records", "Notes"],
                       (p["lines"]?.list ?? []).map { line in
                           let status = line["status"]?.text ?? ""
                           let window = line["window"].flatMap { $0 == .null ? nil : "\($0["from"]?.int ?? 0) … \($0["to"]?.int ?? 0)" } ?? "–"
                           return (cells: [HTMLPage.escape(line["visit"]?.stringValue ?? "completion bonus"),
                                           "<span class=\"badge \(HTMLPage.escape(status))\">\(HTMLPage.escape(status))</span>",
                                           HTMLPage.escape(line["earnedOn"]?.stringValue ?? "–"), line["studyDay"]?.integerValue.map(String.init) ?? "–", window,
                                           money(line["amount"]), "<span class=\"ev\">\(Evidence.html(line["records"]))</span>",
                                           HTMLPage.escape((line["notes"]?.list ?? []).map(\.text).joined(separator: "; "))],
                                   rowClass: line["amount"]?.int == 0 ? "zero" : nil)
                       }, numeric: [3, 5])
        }
        page.raw("<footer>Rendered by trialchain from the anchored artifact above; the same artifact renders to the same bytes.</footer>\n")
        return page.bytes
    }
}
