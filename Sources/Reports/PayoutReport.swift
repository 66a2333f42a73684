import Attestation
import Contracts

/// Renders a payouts artifact: every line with its milestone, visit, date earned, amount and the
/// records that justify it; totals per participant, per site and for the trial.
enum PayoutReport {
    static func render(_ output: ContractOutputSource, _ members: [String: JSONValue], _ context: ReportContext, _ format: ReportFormat,
                       into out: HashingOutput) throws {
        let contractCurrency = currency(members["currency"]?["code"]?.text)
        switch format {
        case .json:
            try JSONReport.write(type: "payouts", output, members: members, context: context, into: out)
        case .csv:
            let table = CSVTable(header: ["row", "participant", "site", "milestone", "visit", "visit_name", "status", "earned_on", "study_day", "window",
                                          "earned_minor", "amount_minor", "amount", "currency", "records", "notes"], into: out)
            try output.participants { participant in
                let id = participant["participant"]?.text ?? "", site = participant["site"]?.stringValue ?? ""
                let money = currency(participant["currency"]?.text, else: contractCurrency)
                for line in participant["lines"]?.list ?? [] {
                    let window = line["window"].flatMap { $0 == .null ? nil : "\($0["from"]?.int ?? 0)..\($0["to"]?.int ?? 0)" } ?? ""
                    table.row(["line", id, site, line["milestone"]?.text ?? "", line["visit"]?.stringValue ?? "", line["visitName"]?.stringValue ?? "", line["status"]?.text ?? "",
                               line["earnedOn"]?.stringValue ?? "", line["studyDay"]?.integerValue.map(String.init) ?? "", window,
                               String(line["earned"]?.int ?? 0), String(line["amount"]?.int ?? 0), money.format(line["amount"]?.int ?? 0), money.code,
                               Evidence.pairs(line["records"]), (line["notes"]?.list ?? []).map(\.text).joined(separator: "; ")])
                }
                let tax = (participant["taxYears"]?.list ?? []).map { "\($0["year"]?.int ?? 0): \(money.format($0["total"]?.int ?? 0))\($0["reportable"] == .bool(true) ? " reportable" : "")" }
                table.row(["participant-total", id, site, "", "", "", "", "", "", "", "", String(participant["total"]?.int ?? 0),
                           money.format(participant["total"]?.int ?? 0), money.code, Evidence.pairs(participant["consentRecords"]), tax.joined(separator: "; ")])
            }
            for site in members["sites"]?.list ?? [] {
                let money = currency(site["currency"]?.text, else: contractCurrency)
                table.row(["site-total", "", site["site"]?.text ?? "", "", "", "", "", "", "", "", "", String(site["total"]?.int ?? 0),
                           money.format(site["total"]?.int ?? 0), money.code, "",
                           "\(site["participants"]?.int ?? 0) participants, \(site["reportableParticipants"]?.int ?? 0) tax-reportable"])
            }
            // One trial total per currency: amounts in different currencies are never added up.
            for total in members["totals"]?.list ?? [] {
                let money = currency(total["currency"]?.text, else: contractCurrency)
                table.row(["trial-total", "", "", "", "", "", "", "", "", "", "", String(total["total"]?.int ?? 0), money.format(total["total"]?.int ?? 0),
                           money.code, "", "\(total["participants"]?.int ?? 0) participants"])
            }
        case .html:
            try html(output, members, context, contractCurrency, into: out)
        }
    }

    static func currency(_ code: String?, else fallback: Currency = Currency(code: "EUR")!) -> Currency {
        code.flatMap(Currency.init(code:)) ?? fallback
    }

    static func reportable(_ participant: JSONValue) -> Bool {
        participant["taxYears"]?.list.contains { $0["reportable"] == .bool(true) } == true
    }

    /// The page: totals and sites first, then a table of participants and each participant's
    /// lines. Both participant parts are written to spools in one pass over the output (the count
    /// of tax-reportable participants, at the top, is known only after it), then copied in.
    static func html(_ output: ContractOutputSource, _ members: [String: JSONValue], _ context: ReportContext, _ contractCurrency: Currency,
                     into out: HashingOutput) throws {
        let contract = members["contract"]
        func amount(_ value: JSONValue?, _ code: String?) -> String {
            let money = currency(code, else: contractCurrency)
            return "\(money.format(value?.int ?? 0)) \(money.code)"
        }
        let tableSpool = try out.spool(), sectionSpool = try out.spool()
        let table = HTMLPage(fragmentInto: tableSpool), sections = HTMLPage(fragmentInto: sectionSpool)
        var reportableCount = 0
        table.tableStart(["Participant", "Site", "Consented", "Withdrew", "Day one", "Tax", "Total"], numeric: [6])
        try output.participants { p in
            let code = p["currency"]?.text
            let tax = (p["taxYears"]?.list ?? []).map { "\($0["year"]?.int ?? 0): \(amount($0["total"], code))\($0["reportable"] == .bool(true) ? " <b>reportable</b>" : "")" }
            let flagged = reportable(p)
            if flagged { reportableCount += 1 }
            table.tableRow(["<a href=\"#\(HTMLPage.escape(p["participant"]?.text ?? ""))\">\(HTMLPage.escape(p["participant"]?.text ?? ""))</a>",
                            HTMLPage.escape(p["site"]?.stringValue ?? "–"), HTMLPage.escape(String((p["consentedAt"]?.text ?? "").prefix(10))),
                            HTMLPage.escape(p["withdrawnAt"]?.stringValue.map { String($0.prefix(10)) } ?? "–"),
                            HTMLPage.escape(p["dayOne"]?.stringValue ?? "–"), tax.joined(separator: "<br>"), amount(p["total"], code)],
                           rowClass: flagged ? "flag" : nil, numeric: [6])

            let id = HTMLPage.escape(p["participant"]?.text ?? "")
            let money = currency(p["currency"]?.text, else: contractCurrency)
            sections.raw("<section class=\"participant\"><h3 id=\"\(id)\">\(id) · site \(HTMLPage.escape(p["site"]?.stringValue ?? "–")) · \(amount(p["total"], money.code))</h3>\n")
            sections.table(["Milestone", "Status", "Earned on", "Study day", "Window", "Amount (\(money.code))", "Records", "Notes"],
                           (p["lines"]?.list ?? []).map { line in
                               let status = line["status"]?.text ?? ""
                               let window = line["window"].flatMap { $0 == .null ? nil : "\($0["from"]?.int ?? 0) … \($0["to"]?.int ?? 0)" } ?? "–"
                               let milestone = line["visit"]?.stringValue.map { code in
                                   (line["visitName"]?.stringValue.map { "\(HTMLPage.escape($0)) · " } ?? "") + "<span class=\"short\">\(HTMLPage.escape(code))</span>"
                               } ?? "Completion bonus"
                               return (cells: [milestone,
                                               "<span class=\"badge \(HTMLPage.escape(status))\">\(HTMLPage.escape(status))</span>",
                                               HTMLPage.escape(line["earnedOn"]?.stringValue ?? "–"), line["studyDay"]?.integerValue.map(String.init) ?? "–", window,
                                               money.format(line["amount"]?.int ?? 0), Evidence.shortIDs(line["records"]),
                                               HTMLPage.escape((line["notes"]?.list ?? []).map(\.text).joined(separator: "; "))],
                                       rowClass: line["amount"]?.int == 0 ? "zero" : nil)
                           }, numeric: [3, 5])
            sections.raw("</section>\n")
        }
        table.tableEnd()

        let page = HTMLPage(title: "Participant payouts · \(context.trial) · \(contract?["name"]?.text ?? "")", into: out)
        page.raw("<h1>Participant payouts</h1>\n" + context.htmlMeta(contract))
        let totals = members["totals"]?.list ?? []
        let totalText = totals.map { "<b>\(amount($0["total"], $0["currency"]?.text))</b> to \($0["participants"]?.int ?? 0) participants" }
        page.raw("<p>Total \(totalText.isEmpty ? "nothing" : totalText.joined(separator: "; "))"
                 + (totals.count > 1 ? " (each currency apart: amounts in different currencies are never added up)" : "")
                 + (reportableCount == 0 && members["taxThreshold"] == .null ? "" : " · tax reporting: \(reportableCount) participant(s) reportable")
                 + ". Amounts computed in integer minor units.</p>\n")
        let sites = members["sites"]?.list ?? []
        for total in totals {
            let code = total["currency"]?.text ?? ""
            let inCurrency = sites.filter { $0["currency"]?.text == code }
            let money = currency(code, else: contractCurrency)
            page.raw(BarChart.svg(title: "Payouts by site (\(code))",
                                  bars: inCurrency.map { .init(label: "Site \($0["site"]?.text ?? "")", value: Int($0["total"]?.int ?? 0), caption: money.format($0["total"]?.int ?? 0)) },
                                  scaleMax: Int(inCurrency.map { $0["total"]?.int ?? 0 }.max() ?? 0)))
        }
        page.raw("<h2>Per site</h2>\n")
        page.table(["Site", "Participants", "Tax-reportable", "Tax threshold", "Total"],
                   sites.map { site in
                       (cells: [HTMLPage.escape(site["site"]?.text ?? ""), "\(site["participants"]?.int ?? 0)", "\(site["reportableParticipants"]?.int ?? 0)",
                                site["taxThreshold"]?.integerValue.map { _ in amount(site["taxThreshold"], site["currency"]?.text) } ?? "–",
                                amount(site["total"], site["currency"]?.text)], rowClass: nil)
                   } + totals.map { total in
                       (cells: ["All sites (\(HTMLPage.escape(total["currency"]?.text ?? "")))", "\(total["participants"]?.int ?? 0)", "", "",
                                amount(total["total"], total["currency"]?.text)], rowClass: "total")
                   },
                   numeric: [1, 2, 3, 4])
        page.raw("<h2>Per participant</h2>\n<p class=\"legend\"><span class=\"flagged\">Highlighted rows</span> reach the tax-reporting threshold in a calendar year (the year is marked <b>reportable</b>).</p>\n")
        try out.write(contentsOf: tableSpool)
        page.raw("<h2>Lines and evidence</h2>\n<p>Each line names the records that justify it by record id (the CSV and JSON reports give every record's leaf hash; "
                 + "<code>trialchain prove record --id N</code> proves one). "
                 + "<span class=\"legend\"><span class=\"greyed\">Grey rows</span> pay nothing: the notes say why.</span></p>\n")
        try out.write(contentsOf: sectionSpool)
        page.raw("<footer>Rendered by trialchain from the anchored artifact above; the same artifact renders to the same bytes.</footer>\n")
        page.end()
    }
}
