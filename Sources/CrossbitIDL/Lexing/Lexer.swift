import FoundationEssentials

/// Turns an IDL file (and the files it includes) into tokens, running the
/// built-in ``Preprocessor`` on the way.
///
/// The lexer works line by line on bytes, as rpcgen's scanner does: a line
/// whose first character is `#` is a directive, a line whose first character
/// is `%` is passed through, everything else is tokens and comments. It is
/// linear in the input and never recurses, so any input ends with tokens or
/// diagnostics.
struct Lexer {
    private static let maximumIncludeDepth = 32
    private static let maximumMacroDepth = 32
    /// How many tokens macros may produce in one file, so that macros which
    /// double at every level cannot run for ever.
    private static let maximumMacroTokens = 100_000

    private struct Source {
        var path: String
        var bytes: [UInt8]
        var position = 0
        var line = 0
    }

    private var sources: [Source] = []
    private var preprocessor: Preprocessor
    private let includePaths: [String]
    private(set) var tokens: [Token] = []
    var diagnostics = DiagnosticSink()

    private var inComment = false
    private var commentStart = SourceLocation(file: "", line: 0, column: 0)
    private var commentText: [UInt8] = []
    /// Whether the comment being read began on the line of the last token.
    private var commentIsTrailing = false
    private var pendingComment: String?
    /// The comments before the file's first token that a blank line
    /// separates from what follows: they document the file, not a definition.
    private(set) var fileComment: String?
    private var expandingMacros: [String] = []
    private var macroTokenBudget = Lexer.maximumMacroTokens
    private var macroBudgetReported = false

    init(options: FrontEndOptions) {
        preprocessor = Preprocessor(defines: options.defines)
        includePaths = options.includePaths
    }

    /// Tokenizes a whole file; the last token is always `endOfFile`.
    static func tokenize(source: [UInt8], file: String, options: FrontEndOptions) -> Lexer {
        var lexer = Lexer(options: options)
        lexer.sources = [Source(path: file, bytes: source)]
        lexer.run()
        return lexer
    }

    private mutating func run() {
        while !sources.isEmpty, !diagnostics.isFull {
            guard let line = nextLine() else {
                finishFile()
                continue
            }
            let depth = sources.count
            processLine(line.bytes, line.start, line.end)
            // Lines joined by backslash-newline count once each, as cpp counts them.
            if sources.count >= depth { sources[depth - 1].line += line.extraLines }
        }
        let last = tokens.last?.location ?? SourceLocation(file: sources.first?.path ?? "", line: 1, column: 1)
        tokens.append(Token(kind: .endOfFile, text: "", location: last, comment: pendingComment))
    }

    /// The next logical line of the current file: physical lines ending in a
    /// backslash are joined to the next, as in the C preprocessor.
    private mutating func nextLine() -> (bytes: [UInt8], start: Int, end: Int, extraLines: Int)? {
        let index = sources.count - 1
        let start = sources[index].position
        let bytes = sources[index].bytes
        guard start < bytes.count else { return nil }
        var end = Self.lineEnd(bytes, from: start)
        sources[index].line += 1
        guard Self.endsInBackslash(bytes, start, end) else {
            sources[index].position = end + 1
            return (bytes, start, end, 0)
        }
        var joined: [UInt8] = []
        var lineStart = start
        var extraLines = 0
        while Self.endsInBackslash(bytes, lineStart, end), end < bytes.count {
            joined += bytes[lineStart..<(bytes[end - 1] == 0x0D ? end - 2 : end - 1)]
            lineStart = end + 1
            end = Self.lineEnd(bytes, from: lineStart)
            extraLines += 1
        }
        joined += bytes[min(lineStart, bytes.count)..<end]
        sources[index].position = end + 1
        return (joined, 0, joined.count, extraLines)
    }

    private static func lineEnd(_ bytes: [UInt8], from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            buffer[start...].firstIndex(of: UInt8(ascii: "\n")) ?? buffer.count
        }
    }

    private static func endsInBackslash(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        let last = end > start && bytes[end - 1] == 0x0D ? end - 2 : end - 1
        return last >= start && bytes[last] == UInt8(ascii: "\\")
    }

    private mutating func finishFile() {
        if inComment {
            diagnostics.error("unterminated comment; expected '*/'", at: commentStart)
            inComment = false
            commentText = []
        }
        preprocessor.endFile(depth: sources.count, diagnostics: &diagnostics)
        sources.removeLast()
    }

    private func location(_ column: Int) -> SourceLocation {
        let source = sources[sources.count - 1]
        return SourceLocation(file: source.path, line: source.line, column: column)
    }

    private mutating func processLine(_ bytes: [UInt8], _ start: Int, _ end: Int) {
        if !inComment {
            var first = start
            while first < end, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x0D { first += 1 }
            if first == end {
                detachPendingComment()
                return
            }
            if first < end, bytes[first] == UInt8(ascii: "#") {
                directive(bytes, hash: first, column: first - start + 1, end: end)
                return
            }
            if start < end, bytes[start] == UInt8(ascii: "%") {
                if preprocessor.isPassThroughActive {
                    let text = String(decoding: bytes[(start + 1)..<end], as: UTF8.self)
                    var token = Token(kind: .passThrough, text: text, location: location(1))
                    token.passCondition = preprocessor.passCondition
                    tokens.append(token)
                }
                return
            }
        }
        scan(bytes, start, end, emitting: preprocessor.isActive)
    }

    private mutating func directive(_ bytes: [UInt8], hash: Int, column: Int, end: Int) {
        var text = String(decoding: bytes[(hash + 1)..<end], as: UTF8.self)
        if text.last == "\r" { text.removeLast() }
        let request = preprocessor.directive(
            text[...], at: location(column),
            fileDepth: sources.count, diagnostics: &diagnostics)
        guard let request else { return }
        include(request)
    }

    private mutating func include(_ request: IncludeRequest) {
        guard sources.count < Self.maximumIncludeDepth else {
            diagnostics.error("#include nested more than \(Self.maximumIncludeDepth) levels deep", at: request.location)
            return
        }
        let current = sources[sources.count - 1].path
        let directory = Path.directory(of: current)
        var candidates = request.isQuoted ? [(directory.isEmpty ? "." : directory) + "/" + request.path] : []
        if request.path.hasPrefix("/") { candidates = [request.path] }
        candidates += includePaths.map { $0 + "/" + request.path }
        for candidate in candidates {
            guard let data = FileManager.default.contents(atPath: candidate) else { continue }
            sources.append(Source(path: candidate, bytes: [UInt8](data)))
            return
        }
        diagnostics.error("cannot find include file '\(request.path)'", at: request.location)
    }

    /// Scans tokens and comments between `start` and `end` of the current line.
    private mutating func scan(_ bytes: [UInt8], _ start: Int, _ end: Int, emitting: Bool) {
        var i = start
        while i < end, !diagnostics.isFull {
            let c = bytes[i]
            if inComment {
                i = scanCommentBody(bytes, i, end, emitting: emitting)
                continue
            }
            let next: UInt8 = i + 1 < end ? bytes[i + 1] : 0
            let column = i - start + 1
            switch c {
            case 0x20, 0x09, 0x0D, 0x0C, 0x0B:
                i += 1
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                inComment = true
                commentStart = location(column)
                commentIsTrailing = followsTokenOnItsLine
                commentText = []
                i += 2
            case UInt8(ascii: "/") where next == UInt8(ascii: "/"):
                if emitting {
                    commentIsTrailing = followsTokenOnItsLine
                    commentText = Array(bytes[(i + 2)..<end])
                    finishComment(emitting: true)
                }
                i = end
            case _ where Self.isIdentifierStart(c):
                var j = i + 1
                while j < end, Self.isIdentifierStart(bytes[j]) || Self.isDigit(bytes[j]) { j += 1 }
                if emitting {
                    identifier(String(decoding: bytes[i..<j], as: UTF8.self), at: location(column))
                }
                i = j
            case _ where Self.isDigit(c) || (c == UInt8(ascii: "-") && Self.isDigit(next)):
                var j = i + 1
                while j < end, Self.isIdentifierStart(bytes[j]) || Self.isDigit(bytes[j]) { j += 1 }
                if emitting { number(String(decoding: bytes[i..<j], as: UTF8.self), at: location(column)) }
                i = j
            case UInt8(ascii: "\""):
                i = scanString(bytes, i, end, column: column, emitting: emitting)
            case _ where Self.symbols.contains(c):
                if emitting { emit(.symbol, String(UnicodeScalar(c)), at: location(column)) }
                i += 1
            default:
                i = skipUnexpected(bytes, i, end, column: column, emitting: emitting)
            }
        }
        if inComment, emitting { commentText.append(0x0A) }
    }

    /// Scans the inside of a `/* */` comment from `i`, which may go on past this line; returns where scanning
    /// goes on. Apart from `scan` because a comment is the one token that spans lines.
    private mutating func scanCommentBody(_ bytes: [UInt8], _ i: Int, _ end: Int, emitting: Bool) -> Int {
        var j = i
        while j + 1 < end, !(bytes[j] == UInt8(ascii: "*") && bytes[j + 1] == UInt8(ascii: "/")) { j += 1 }
        if j + 1 < end {
            if emitting { commentText += bytes[i..<j] }
            finishComment(emitting: emitting)
            return j + 2
        }
        if emitting { commentText += bytes[i..<end] }
        return end
    }

    /// Scans the string literal that starts at `i` (its quotes and escapes kept as written, which Swift reads the
    /// same way); returns the index after it, or `end` after an error when the line ends first.
    private mutating func scanString(_ bytes: [UInt8], _ i: Int, _ end: Int, column: Int, emitting: Bool) -> Int {
        var j = i + 1
        while j < end, bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
        guard j < end else {
            if emitting { diagnostics.error("unterminated string literal; expected '\"'", at: location(column)) }
            return end
        }
        if emitting { emit(.string, String(decoding: bytes[i...j], as: UTF8.self), at: location(column)) }
        return j + 1
    }

    /// Skips the run of bytes from `i` that cannot start a token, with one error for the whole run rather than
    /// one per byte (binary garbage would otherwise fill the error limit at once); returns where tokens go on.
    private mutating func skipUnexpected(_ bytes: [UInt8], _ i: Int, _ end: Int, column: Int, emitting: Bool) -> Int {
        let c = bytes[i]
        var j = i + 1
        while j < end, !Self.canStartToken(bytes[j]) { j += 1 }
        if emitting {
            let shown = c >= 0x21 && c < 0x7F ? "'\(UnicodeScalar(c))'" : "byte 0x\(String(c, radix: 16))"
            diagnostics.error(
                "unexpected character \(shown); expected a name, a number or one of { } ( ) [ ] < > ; , = * :",
                at: location(column))
        }
        return j
    }

    private static let symbols: Set<UInt8> = Set("{}()[]<>;,=*:".utf8)

    private static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func canStartToken(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || isDigit(c) || symbols.contains(c) || c == 0x20 || c == 0x09 || c == 0x2F
            || c == 0x2D || c == 0x22
    }

    /// Whether a comment starting here follows a token on the same line
    /// (with no comment of its own before it): then it is that token's.
    private var followsTokenOnItsLine: Bool {
        guard let last = tokens.last, last.kind != .passThrough, pendingComment == nil else { return false }
        let here = location(1)
        return last.location.file == here.file && last.location.line == here.line
    }

    /// A blank line after a comment: the comment documents nothing below
    /// it; before the main file's first token, it documents the file.
    private mutating func detachPendingComment() {
        if let pending = pendingComment, sources.count == 1, !tokens.contains(where: { $0.kind != .passThrough }) {
            fileComment = fileComment.map { $0 + "\n\n" + pending } ?? pending
        }
        pendingComment = nil
    }

    private mutating func finishComment(emitting: Bool) {
        inComment = false
        guard emitting else { return }
        let text = Self.cleanComment(String(decoding: commentText, as: UTF8.self))
        commentText = []
        guard !text.isEmpty else { return }
        if commentIsTrailing, let last = tokens.indices.last {
            tokens[last].trailingComment = tokens[last].trailingComment.map { $0 + "\n" + text } ?? text
        } else {
            pendingComment = pendingComment.map { $0 + "\n" + text } ?? text
        }
    }

    /// Comment text without the decoration of `/* … */` blocks.
    private static func cleanComment(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            var line = line.trimmed
            if line.hasPrefix("*") { line = line.dropFirst().trimmed }
            return line
        }
        return lines.drop { $0.isEmpty }.reversed().drop { $0.isEmpty }.reversed().joined(separator: "\n")
    }

    private mutating func emit(_ kind: Token.Kind, _ text: String, at location: SourceLocation, value: Int128 = 0) {
        tokens.append(Token(kind: kind, text: text, location: location, comment: pendingComment, value: value))
        pendingComment = nil
    }

    private mutating func identifier(_ name: String, at location: SourceLocation) {
        guard let replacement = preprocessor.macros[name], !Preprocessor.passSymbols.contains(name),
            !expandingMacros.contains(name)
        else {
            emit(.identifier, name, at: location)
            return
        }
        guard expandingMacros.count < Self.maximumMacroDepth else {
            diagnostics.error("macro '\(name)' expands more than \(Self.maximumMacroDepth) levels deep", at: location)
            return
        }
        guard macroTokenBudget > 0 else {
            if !macroBudgetReported {
                diagnostics.error(
                    "macros expand to more than \(Self.maximumMacroTokens) tokens; stopped at '\(name)'", at: location)
                macroBudgetReported = true
            }
            return
        }
        // Tokens of a macro's text are reported at the place the macro is used.
        expandingMacros.append(name)
        var inner = Lexer(options: FrontEndOptions())
        inner.preprocessor = preprocessor
        inner.expandingMacros = expandingMacros
        inner.macroTokenBudget = macroTokenBudget
        inner.macroBudgetReported = macroBudgetReported
        inner.sources = [Source(path: location.file, bytes: Array(replacement.utf8), line: 1)]
        inner.scan(inner.sources[0].bytes, 0, inner.sources[0].bytes.count, emitting: true)
        expandingMacros.removeLast()
        macroTokenBudget = inner.macroTokenBudget - inner.tokens.count
        macroBudgetReported = inner.macroBudgetReported
        for var token in inner.tokens {
            token.location = location
            tokens.append(token)
        }
        for diagnostic in inner.diagnostics.diagnostics where diagnostic.severity == .error {
            diagnostics.error(diagnostic.message, at: location)
        }
    }

    private mutating func number(_ text: String, at location: SourceLocation) {
        guard let value = IntegerLiteral.parse(text, octal: true) else {
            diagnostics.error("invalid integer literal \(quoted(text))", at: location)
            return
        }
        emit(.number, text, at: location, value: value)
    }
}
