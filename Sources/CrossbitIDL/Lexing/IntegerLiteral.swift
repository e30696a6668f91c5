/// Integer literals as `.x` files, the preprocessor and the tools' command lines and configuration write them.
///
/// One parser, so that a program number means the same in a `.x` file, a `#if`, a broker route and
/// `crossbit call`.
public enum IntegerLiteral {
    /// Parses decimal or `0x` (`0X`) hexadecimal digits, possibly after a `-`; with `octal`, a leading `0` means
    /// octal as in C (and in rpcgen's input), otherwise it is a decimal digit like another (a configuration's
    /// `010` is ten). Nil if malformed or beyond 128 bits.
    public static func parse(_ text: some StringProtocol, octal: Bool = false) -> Int128? {
        let negative = text.hasPrefix("-")
        let body = negative ? Substring(text.dropFirst()) : Substring(text)
        let digits: Substring
        let radix: Int
        if body.hasPrefix("0x") || body.hasPrefix("0X") {
            (digits, radix) = (body.dropFirst(2), 16)
        } else if octal, body.count > 1, body.hasPrefix("0") {
            (digits, radix) = (body.dropFirst(), 8)
        } else {
            (digits, radix) = (body, 10)
        }
        guard !digits.isEmpty, digits.count <= 40, let magnitude = Int128(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
