/// An inline SVG bar chart: labelled horizontal bars with optional reference line, sized from its
/// data alone so that the same data gives the same bytes.
struct BarChart {
    struct Bar {
        var label: String
        /// The bar's length, in the chart's unit.
        var value: Int
        /// Text written after the bar.
        var caption: String
        var highlighted: Bool = false
    }

    var title: String
    var bars: [Bar]
    /// The value at the right edge (at least the largest bar).
    var scaleMax: Int
    /// A vertical reference line (e.g. the adherence threshold) and its label.
    var reference: (value: Int, label: String)?

    var svg: String {
        let rowHeight = 18, labelWidth = 150, barWidth = 560, captionWidth = 130, top = 26
        let width = labelWidth + barWidth + captionWidth
        let height = top + rowHeight * max(1, bars.count) + 10
        let maximum = max(1, scaleMax, bars.map(\.value).max() ?? 0)
        func x(_ value: Int) -> Int { labelWidth + value * barWidth / maximum }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        out += "<title>\(HTMLPage.escape(title))</title>"
        out += "<text x=\"0\" y=\"14\" font-weight=\"bold\">\(HTMLPage.escape(title))</text>"
        for (index, bar) in bars.enumerated() {
            let y = top + index * rowHeight
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(HTMLPage.escape(bar.label))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(max(0, x(bar.value) - labelWidth))\" height=\"\(rowHeight - 5)\" fill=\"\(bar.highlighted ? "#d1242f" : "#0969da")\"/>"
            out += "<text x=\"\(x(bar.value) + 4)\" y=\"\(y + 12)\">\(HTMLPage.escape(bar.caption))</text>"
        }
        if let reference {
            let rx = x(reference.value)
            out += "<line x1=\"\(rx)\" y1=\"\(top - 4)\" x2=\"\(rx)\" y2=\"\(height - 6)\" stroke=\"#1b1f24\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(rx + 3)\" y=\"\(top - 6)\">\(HTMLPage.escape(reference.label))</text>"
        }
        return out + "</svg>\n"
    }
}
