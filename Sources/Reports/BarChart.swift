/// An inline SVG bar chart: labelled horizontal bars with optional reference line, sized from its
/// data alone so that the same data gives the same bytes. Written in pieces (`open`, `bar`,
/// `close`) when the bars are streamed: the bar count and the largest value are known first.
struct BarChart {
    struct Bar {
        var label: String
        /// The bar's length, in the chart's unit.
        var value: Int
        /// Text written after the bar.
        var caption: String
        var highlighted: Bool = false
    }

    static let rowHeight = 18, labelWidth = 150, barWidth = 560, captionWidth = 130, top = 26

    let title: String
    let count: Int
    /// The value at the right edge.
    let maximum: Int

    /// A chart of `count` bars; the right edge is the largest of `scaleMax` and `largest` (the largest bar).
    init(title: String, count: Int, scaleMax: Int, largest: Int) {
        self.title = title
        self.count = count
        maximum = max(1, scaleMax, largest)
    }

    var width: Int { BarChart.labelWidth + BarChart.barWidth + BarChart.captionWidth }
    var height: Int { BarChart.top + BarChart.rowHeight * max(1, count) + 10 }
    func x(_ value: Int) -> Int { BarChart.labelWidth + value * BarChart.barWidth / maximum }

    /// The chart's opening and title.
    var open: String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
            + "<title>\(HTMLPage.escape(title))</title>"
            + "<text x=\"0\" y=\"14\" font-weight=\"bold\">\(HTMLPage.escape(title))</text>"
    }

    /// The bar at row `index`.
    func bar(_ index: Int, _ bar: Bar) -> String {
        let y = BarChart.top + index * BarChart.rowHeight
        return "<text x=\"\(BarChart.labelWidth - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(HTMLPage.escape(bar.label))</text>"
            + "<rect x=\"\(BarChart.labelWidth)\" y=\"\(y + 2)\" width=\"\(max(0, x(bar.value) - BarChart.labelWidth))\" height=\"\(BarChart.rowHeight - 5)\" fill=\"\(bar.highlighted ? "#d1242f" : "#0969da")\"/>"
            + "<text x=\"\(x(bar.value) + 4)\" y=\"\(y + 12)\">\(HTMLPage.escape(bar.caption))</text>"
    }

    /// A vertical reference line (e.g. the adherence threshold) with its label, and the end.
    func close(reference: (value: Int, label: String)? = nil) -> String {
        var out = ""
        if let reference {
            let rx = x(reference.value)
            out += "<line x1=\"\(rx)\" y1=\"\(BarChart.top - 4)\" x2=\"\(rx)\" y2=\"\(height - 6)\" stroke=\"#1b1f24\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(rx + 3)\" y=\"\(BarChart.top - 6)\">\(HTMLPage.escape(reference.label))</text>"
        }
        return out + "</svg>\n"
    }

    /// A whole chart of a few bars.
    static func svg(title: String, bars: [Bar], scaleMax: Int, reference: (value: Int, label: String)? = nil) -> String {
        let chart = BarChart(title: title, count: bars.count, scaleMax: scaleMax, largest: bars.map(\.value).max() ?? 0)
        return chart.open + bars.enumerated().map { chart.bar($0.offset, $0.element) }.joined() + chart.close(reference: reference)
    }
}
