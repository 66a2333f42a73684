import Attestation

/// A self-contained HTML page (inline CSS for screen and print, no script, no external resource)
/// written front to back: the head, markup as it comes, tables row by row, then the end.
struct HTMLPage {
    let out: HashingOutput

    /// A part of a page written apart (to a spool) and copied in later: nothing is written first.
    init(fragmentInto out: HashingOutput) { self.out = out }

    /// Starts a page: writes everything up to `<body>`.
    init(title: String, into out: HashingOutput) {
        self.out = out
        out.write("""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(HTMLPage.escape(title))</title>
        <style>
        body{font:13px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;margin:2em auto;max-width:1100px;padding:0 1em}
        h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
        .meta{color:#57606a;margin:0 0 1em}.meta code{font-size:.92em}
        table{border-collapse:collapse;width:100%;margin:.4em 0 1em}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.total td{font-weight:600;background:#f6f8fa}tr.flag td{background:#fff4e5}tr.zero td{color:#6e7781}
        .ev{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;color:#57606a;word-break:break-all}
        .badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.85em;background:#eaeef2}
        .badge.on-time,.badge.earned{background:#dafbe1}.badge.late,.badge.early,.badge.no-day-one{background:#fff8c5}
        .badge.not-completed,.badge.not-earned,.badge.after-withdrawal{background:#ffebe9}
        svg{max-width:100%;height:auto}footer{color:#57606a;margin-top:2em;font-size:.9em}
        .legend{color:#57606a;font-size:.92em}.legend span{padding:0 .3em}.flagged{background:#fff4e5}.greyed{color:#6e7781}
        section.participant{margin-bottom:.6em}section.participant h3{margin:.8em 0 .2em;font-size:1.02em}
        .short{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
        @media print{body{margin:0;max-width:none;font-size:9.5px}h2,h3{break-after:avoid}tr{break-inside:avoid}a{color:inherit;text-decoration:none}
        thead{display:table-header-group}section.participant{break-inside:avoid}.screen-only{display:none}
        svg{max-height:23cm;width:auto}}
        </style>
        </head>
        <body>

        """)
    }

    static func escape(_ text: String) -> String {
        // Most text needs nothing: found by bytes, without walking Characters.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                                          || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Appends markup as it is (callers escape text with `escape`).
    func raw(_ markup: String) { out.write(markup) }

    /// Opens a table: its header cells, right-aligned where `numeric`.
    func tableStart(_ header: [String], numeric: Set<Int> = []) {
        out.write("<table><thead><tr>" + header.enumerated().map { "<th\(numeric.contains($0.offset) ? " class=\"num\"" : "")>\(HTMLPage.escape($0.element))</th>" }.joined() + "</tr></thead><tbody>\n")
    }

    /// One row of cells (already escaped markup), with a CSS class.
    func tableRow(_ cells: [String], rowClass: String?, numeric: Set<Int> = []) {
        out.write("<tr\(rowClass.map { " class=\"\($0)\"" } ?? "")>"
                  + cells.enumerated().map { "<td\(numeric.contains($0.offset) ? " class=\"num\"" : "")>\($0.element)</td>" }.joined() + "</tr>\n")
    }

    func tableEnd() { out.write("</tbody></table>\n") }

    /// A whole table.
    func table(_ header: [String], _ rows: [(cells: [String], rowClass: String?)], numeric: Set<Int> = []) {
        tableStart(header, numeric: numeric)
        for row in rows { tableRow(row.cells, rowClass: row.rowClass, numeric: numeric) }
        tableEnd()
    }

    /// Ends the page.
    func end() {
        out.write("</body>\n</html>\n")
    }
}
