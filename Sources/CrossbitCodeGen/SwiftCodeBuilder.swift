/// Lines of Swift with indentation, built top to bottom.
struct SwiftCodeBuilder {
    private(set) var lines: [String] = []
    private var depth = 0

    mutating func line(_ text: String = "") {
        lines.append(text.isEmpty ? "" : String(repeating: "    ", count: depth) + text)
    }

    mutating func append(_ other: SwiftCodeBuilder) {
        for text in other.lines { line(text) }
    }

    /// `header {`, the body one level deeper, then `}`.
    mutating func block(
        _ header: String, _ body: (inout SwiftCodeBuilder) throws(SwiftGeneratorError) -> Void
    )
        throws(SwiftGeneratorError)
    {
        line(header + " {")
        depth += 1
        try body(&self)
        depth -= 1
        line("}")
    }

    /// Doc comment lines from an IDL comment, without its `/*`, `*/` and `*` margins.
    mutating func documentation(_ comment: String?) {
        guard let comment else { return }
        var texts = comment.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var text = line.trimmingSpaces()
            for opener in ["/**", "/*", "///", "//"] where text.hasPrefix(opener) {
                text = String(text.dropFirst(opener.count))
                break
            }
            if text.hasSuffix("*/") { text = String(text.dropLast(2)) }
            if text.hasPrefix("*") { text = String(text.dropFirst()) }
            return text.trimmingSpaces()
        }
        while texts.first?.isEmpty == true { texts.removeFirst() }
        while texts.last?.isEmpty == true { texts.removeLast() }
        for text in texts { line(text.isEmpty ? "///" : "/// " + text) }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension String {
    func trimmingSpaces() -> String { Substring(self).trimmingSpaces() }
}
