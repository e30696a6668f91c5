extension JSONValue {
    /// Parses JSON text; numbers keep their exact text.
    public init(parsing text: String) throws(DynamicCodecError) {
        self = try JSONParser.parse(text)
    }

    /// The value as JSON text: members in their order, two-space indentation
    /// when `pretty`, on one line otherwise.
    public func text(pretty: Bool = true) -> String {
        var output = ""
        write(to: &output, indent: pretty ? "" : nil)
        return output
    }

    private func write(to output: inout String, indent: String?) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let elements):
            writeContainer("[", "]", elements, to: &output, indent: indent) { element, output, inner in
                element.write(to: &output, indent: inner)
            }
        case .object(let members):
            writeContainer("{", "}", members, to: &output, indent: indent) { member, output, inner in
                Self.writeString(member.key, to: &output)
                output += inner == nil ? ":" : ": "
                member.value.write(to: &output, indent: inner)
            }
        }
    }

    private func writeContainer<Element>(
        _ open: String, _ close: String, _ elements: [Element], to output: inout String, indent: String?,
        _ writeElement: (Element, inout String, String?) -> Void
    ) {
        output += open
        guard !elements.isEmpty else { output += close; return }
        let inner = indent.map { $0 + "  " }
        for (index, element) in elements.enumerated() {
            if index > 0 { output += "," }
            if let inner { output += "\n" + inner }
            writeElement(element, &output, inner)
        }
        if let indent { output += "\n" + indent }
        output += close
    }

    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20 || control.value == 0x7F:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
