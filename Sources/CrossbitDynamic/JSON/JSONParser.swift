/// Parses JSON text (RFC 8259) into a ``JSONValue``, keeping numbers as text.
enum JSONParser {
    /// Nesting deeper than this is an error rather than a stack overflow.
    static let maximumDepth = 256

    static func parse(_ text: String) throws(DynamicCodecError) -> JSONValue {
        var state = State(bytes: Array(text.utf8))
        state.skipWhitespace()
        let value = try state.value(depth: 0)
        state.skipWhitespace()
        guard state.position == state.bytes.count else { throw state.error("unexpected text after the value") }
        return value
    }

    private struct State {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func error(_ message: String) -> DynamicCodecError {
            var line = 1, column = 1
            for byte in bytes[..<min(position, bytes.count)] {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return DynamicCodecError(.syntax("\(message) at line \(line), column \(column)"))
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ literal: String) throws(DynamicCodecError) {
            for byte in literal.utf8 {
                guard current == byte else { throw error("invalid literal, expected '\(literal)'") }
                position += 1
            }
        }

        mutating func value(depth: Int) throws(DynamicCodecError) -> JSONValue {
            guard depth < JSONParser.maximumDepth else {
                throw error("nested more than \(JSONParser.maximumDepth) deep")
            }
            guard let byte = current else { throw error("unexpected end of text, expected a value") }
            switch byte {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character '\(Unicode.Scalar(byte))', expected a value")
            }
        }

        mutating func array(depth: Int) throws(DynamicCodecError) -> JSONValue {
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"): position += 1; return .array(elements)
                default: throw error("expected ',' or ']' in an array")
                }
            }
        }

        mutating func object(depth: Int) throws(DynamicCodecError) -> JSONValue {
            position += 1
            var members: [JSONValue.Member] = []
            var keys = Set<String>()
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
                let key = try string()
                guard keys.insert(key).inserted else { throw error("duplicate member \"\(key)\"") }
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
                position += 1
                skipWhitespace()
                members.append(JSONValue.Member(key, try value(depth: depth + 1)))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; return .object(members)
                default: throw error("expected ',' or '}' in an object")
                }
            }
        }

        mutating func digits() -> Int {
            let start = position
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - start
        }

        mutating func number() throws(DynamicCodecError) -> String {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            if current == UInt8(ascii: "0") {
                position += 1
            } else if digits() == 0 {
                throw error("invalid number")
            }
            if current == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw error("invalid number: digits expected after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw error("invalid number: digits expected in the exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func string() throws(DynamicCodecError) -> String {
            position += 1
            var scalars = String.UnicodeScalarView()
            var run = position
            func flush(_ end: Int) throws(DynamicCodecError) {
                guard run < end else { return }
                guard let text = String(validating: bytes[run..<end], as: UTF8.self) else {
                    throw error("a string is not valid UTF-8")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard let byte = current else { throw error("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    try flush(position)
                    position += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush(position)
                    position += 1
                    scalars.append(try escape())
                    run = position
                case 0..<0x20:
                    throw error("a control character in a string must be escaped")
                default:
                    position += 1
                }
            }
        }

        mutating func escape() throws(DynamicCodecError) -> Unicode.Scalar {
            guard let byte = current else { throw error("unterminated escape") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let first = try hexQuad()
                if (0xD800..<0xDC00).contains(first) {
                    guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate in \\u escape") }
                    position += 1
                    guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate in \\u escape") }
                    position += 1
                    let second = try hexQuad()
                    guard (0xDC00..<0xE000).contains(second) else { throw error("unpaired surrogate in \\u escape") }
                    let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    if let scalar = Unicode.Scalar(combined) { return scalar }
                }
                guard let scalar = Unicode.Scalar(first) else { throw error("unpaired surrogate in \\u escape") }
                return scalar
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(byte))'")
            }
        }

        mutating func hexQuad() throws(DynamicCodecError) -> UInt32 {
            let digits = bytes[position..<min(position + 4, bytes.count)]
            guard digits.count == 4, digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16)
            else { throw error("expected four hex digits after \\u") }
            position += 4
            return value
        }
    }
}
