/// Plain-text columns padded to the widest cell; numbers right-aligned so their digits line up.
struct Table: CustomStringConvertible {
    struct Column: Sendable {
        let title: String
        let alignRight: Bool

        init(_ title: String, alignRight: Bool = false) {
            self.title = title
            self.alignRight = alignRight
        }
    }

    let columns: [Column]
    let rows: [[String]]

    var description: String {
        let all = [columns.map(\.title)] + rows
        let widths = columns.indices.map { index in all.map { $0[index].count }.max() ?? 0 }
        return all.map { row in
            var line = row.enumerated().map { index, cell in
                Self.pad(cell, to: widths[index], right: columns[index].alignRight)
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    static func pad(_ text: String, to width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
