/// A token of the IDL, after preprocessing.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case identifier
        case number
        /// A string literal in double quotes (rpcgen allows them as constant values), quotes included.
        case string
        /// One of `{ } ( ) [ ] < > ; , = * :`.
        case symbol
        /// An rpcgen `%` line; `text` is the line without the `%`.
        case passThrough
        case endOfFile
    }

    var kind: Kind
    var text: String
    var location: SourceLocation
    /// The comment between the previous token and this one, if any, when
    /// no blank line follows it: it documents what this token begins.
    var comment: String?
    /// A comment that begins after this token on the same line: it
    /// documents what this token ends (`int count; /* of items */`).
    var trailingComment: String?
    /// For a `%` line inside a conditional on rpcgen's pass symbols (`RPC_XDR`, …):
    /// the C preprocessor condition under which rpcgen sees it.
    var passCondition: String?
    /// For a number: its value.
    var value: Int128 = 0

    /// How the token reads in a message: `'foo'`, `';'`, `end of file`.
    var shown: String {
        switch kind {
        case .endOfFile: "end of file"
        case .passThrough: "'%' line"
        case .identifier, .number, .symbol, .string: quoted(text)
        }
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
    func isKeyword(_ keyword: String) -> Bool { kind == .identifier && text == keyword }
}
