/// The C preprocessor subset that `.x` files use, built in.
///
/// rpcgen runs the system `cpp` over its input once per output file, with
/// `RPC_HDR`, `RPC_XDR`, `RPC_CLNT`, `RPC_SVC`, `RPC_TBL` or `RPC_SAMPLE`
/// defined. Crossbit does the same work itself instead of spawning `cpp`:
/// the front end then runs inside the broker and the build plugin without a C
/// toolchain, cannot hang on a child process, and reports errors at the exact
/// line and column of the original file without parsing line markers.
///
/// Supported: `#define NAME text` (object-like), `#undef`, `#if`/`#ifdef`/`#ifndef`/
/// `#elif`/`#else`/`#endif` with C integer expressions and `defined`,
/// `#include "file"` (relative to the including file, then the include paths),
/// `#error`, and `#pragma`/`#ident`/`#line` (ignored).
///
/// Definitions are read as rpcgen's header pass reads them (`RPC_HDR` defined),
/// since that pass sees every type. A `%` line inside a conditional on a pass
/// symbol is kept with its condition, whatever the pass, so that the RPC language
/// printer can hand it back to rpcgen inside the same conditional.
struct Preprocessor {
    /// rpcgen's pass symbols.
    static let passSymbols: Set<String> = ["RPC_HDR", "RPC_XDR", "RPC_CLNT", "RPC_SVC", "RPC_TBL", "RPC_SAMPLE"]

    struct Conditional {
        var location: SourceLocation
        /// The depth of the include stack where the group was opened.
        var fileDepth: Int
        /// Whether the enclosing groups are active.
        var parentActive: Bool
        /// Whether the condition tests one of rpcgen's pass symbols.
        var isPass: Bool
        /// Whether the current branch is active in the header pass.
        var active: Bool
        /// Whether some branch was taken already.
        var taken: Bool
        /// For pass groups: the conditions of the branches before this one.
        var previousConditions: [String]
        /// For pass groups: the C condition of the current branch alone.
        var condition: String
        var sawElse: Bool
    }

    var macros: [String: String]
    private(set) var conditionals: [Conditional] = []

    init(defines: [String: String]) {
        macros = defines
        macros["RPC_HDR"] = macros["RPC_HDR"] ?? "1"
    }

    /// Whether ordinary lines are read now.
    var isActive: Bool { conditionals.last.map { $0.parentActive && $0.active } ?? true }

    /// Whether `%` lines are kept now (pass conditionals aside).
    var isPassThroughActive: Bool {
        conditionals.allSatisfy { $0.isPass || ($0.parentActive && $0.active) }
    }

    /// The condition under which rpcgen sees a `%` line now, nil if always.
    var passCondition: String? {
        let parts = conditionals.filter(\.isPass).map { group in
            (group.previousConditions.map { "!(\($0))" } + [group.condition])
                .filter { !$0.isEmpty }.joined(separator: " && ")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " && ")
    }

    /// Handles one directive line (the text after `#`). Returns the file to
    /// include, if the directive is an active `#include`.
    mutating func directive(
        _ text: Substring, at location: SourceLocation, fileDepth: Int, diagnostics: inout DiagnosticSink
    ) -> IncludeRequest? {
        var scanner = DirectiveScanner(text: text)
        let name = scanner.word()
        let rest = scanner.rest
        switch name {
        case "if", "ifdef", "ifndef":
            openGroup(name, rest, at: location, fileDepth: fileDepth, diagnostics: &diagnostics)
        case "elif", "else":
            guard var group = conditionals.popLast() else {
                diagnostics.error("'#\(name)' without '#if'", at: location)
                return nil
            }
            if group.sawElse {
                diagnostics.error("'#\(name)' after '#else'; expected '#endif'", at: location)
            }
            if group.isPass { group.previousConditions.append(group.condition) }
            if name == "else" {
                group.sawElse = true
                group.condition = ""
                group.active = !group.taken
            } else {
                let isActive =
                    group.parentActive && !group.taken
                    && evaluate(rest, at: location, diagnostics: &diagnostics)
                group.condition = "(\(rest.trimmed))"
                group.active = isActive
            }
            group.taken = group.taken || group.active
            conditionals.append(group)
        case "endif":
            if conditionals.popLast() == nil {
                diagnostics.error("'#endif' without '#if'", at: location)
            }
        case "define", "undef", "include", "error", "warning":
            guard isActive else { return nil }
            return activeDirective(name, rest, at: location, diagnostics: &diagnostics)
        case "", "pragma", "ident", "line":
            break
        default:
            if isActive, let first = name.first, first.isNumber == false {
                diagnostics.error("unknown preprocessor directive '#\(name)'", at: location)
            }
        }
        return nil
    }

    /// Closes the groups opened in a file that ends; each is an error.
    mutating func endFile(depth: Int, diagnostics: inout DiagnosticSink) {
        while let group = conditionals.last, group.fileDepth >= depth {
            diagnostics.error("unterminated conditional directive; expected '#endif'", at: group.location)
            conditionals.removeLast()
        }
    }

    private mutating func openGroup(
        _ name: String, _ rest: Substring, at location: SourceLocation, fileDepth: Int,
        diagnostics: inout DiagnosticSink
    ) {
        let parentActive = isActive
        var active = false
        var condition = ""
        var isPass = false
        if name == "if" {
            isPass = DirectiveScanner.identifiers(in: rest).contains { Self.passSymbols.contains($0) }
            condition = "(\(rest.trimmed))"
            active = parentActive && evaluate(rest, at: location, diagnostics: &diagnostics)
        } else {
            var scanner = DirectiveScanner(text: rest)
            let symbol = scanner.word()
            if symbol.isEmpty && parentActive {
                diagnostics.error("expected a macro name after '#\(name)'", at: location)
            }
            isPass = Self.passSymbols.contains(symbol)
            let defined = macros[symbol] != nil
            active = name == "ifdef" ? defined : !defined
            condition = name == "ifdef" ? "defined(\(symbol))" : "!defined(\(symbol))"
        }
        conditionals.append(
            Conditional(
                location: location, fileDepth: fileDepth, parentActive: parentActive, isPass: isPass,
                active: active, taken: active, previousConditions: [], condition: condition, sawElse: false))
    }

    private mutating func activeDirective(
        _ name: String, _ rest: Substring, at location: SourceLocation, diagnostics: inout DiagnosticSink
    ) -> IncludeRequest? {
        var scanner = DirectiveScanner(text: rest)
        switch name {
        case "define":
            let macro = scanner.word()
            if macro.isEmpty {
                diagnostics.error("expected a macro name after '#define'", at: location)
            } else if scanner.rest.first == "(" {
                diagnostics.error("function-like macro '\(macro)' is not supported", at: location)
            } else {
                macros[macro] = String(scanner.rest.trimmed)
            }
        case "undef":
            macros[scanner.word()] = nil
        case "include":
            let target = rest.trimmed
            guard target.count >= 2, let open = target.first, let close = target.last,
                (open == "\"" && close == "\"") || (open == "<" && close == ">")
            else {
                diagnostics.error("expected \"FILE\" or <FILE> after '#include'", at: location)
                return nil
            }
            return IncludeRequest(
                path: String(target.dropFirst().dropLast()), isQuoted: open == "\"", location: location)
        case "error":
            diagnostics.error("#error \(rest.trimmed)", at: location)
        default:
            diagnostics.warning("#warning \(rest.trimmed)", at: location)
        }
        return nil
    }

    /// Evaluates a `#if` expression with the current macros.
    private func evaluate(_ text: Substring, at location: SourceLocation, diagnostics: inout DiagnosticSink) -> Bool {
        var evaluator = ExpressionEvaluator(tokens: DirectiveScanner.tokens(in: text), macros: macros)
        do {
            return try evaluator.evaluate() != 0
        } catch {
            diagnostics.error("invalid '#if' expression: \(error.message)", at: location)
            return false
        }
    }
}

/// An `#include` the lexer must read.
struct IncludeRequest {
    var path: String
    var isQuoted: Bool
    var location: SourceLocation
}

/// Splits directive text into words and C expression tokens.
struct DirectiveScanner {
    private(set) var rest: Substring

    init(text: Substring) { rest = text }

    /// The next identifier (or number), skipping blanks.
    mutating func word() -> String {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        rest = rest.dropFirst(word.count)
        return String(word)
    }

    static func identifiers(in text: Substring) -> [String] {
        tokens(in: text).filter { $0.first?.isLetter == true || $0.first == "_" }
    }

    /// Identifiers, numbers and operators of a `#if` expression; comments dropped.
    static func tokens(in text: Substring) -> [String] {
        let chars = Array(text.unicodeScalars)
        var tokens: [String] = []
        var i = 0
        let twoCharacterOperators: Set<String> = ["&&", "||", "==", "!=", "<=", ">=", "<<", ">>"]
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" {
                i += 1
            } else if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count, !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
            } else if c == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                break
            } else if c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) {
                var word = ""
                while i < chars.count,
                    chars[i].properties.isAlphabetic || chars[i] == "_"
                        || ("0"..."9").contains(chars[i])
                {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                tokens.append(word)
            } else if i + 1 < chars.count, twoCharacterOperators.contains(String(c) + String(chars[i + 1])) {
                tokens.append(String(c) + String(chars[i + 1]))
                i += 2
            } else {
                tokens.append(String(c))
                i += 1
            }
        }
        return tokens
    }
}

/// Evaluates a `#if` expression: integers, macros, `defined`, `!`, `~`, unary `-`,
/// `* / % + - << >> < > <= >= == != & ^ | && || ?:`, parentheses.
struct ExpressionEvaluator {
    struct Failure: Error { var message: String }

    private static let maximumDepth = 64
    private static let precedence: [[String]] = [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"],
        ["+", "-"], ["*", "/", "%"],
    ]

    private var tokens: [String]
    private var position = 0
    private let macros: [String: String]
    private var depth = 0

    init(tokens: [String], macros: [String: String]) {
        self.tokens = tokens
        self.macros = macros
    }

    mutating func evaluate() throws(Failure) -> Int64 {
        guard !tokens.isEmpty else { throw Failure(message: "expected an expression") }
        let value = try conditional()
        if position < tokens.count { throw Failure(message: "unexpected '\(tokens[position])'") }
        return value
    }

    private var peek: String? { position < tokens.count ? tokens[position] : nil }

    private mutating func conditional() throws(Failure) -> Int64 {
        let condition = try binary(level: 0)
        guard peek == "?" else { return condition }
        position += 1
        let whenTrue = try conditional()
        guard peek == ":" else { throw Failure(message: "expected ':'") }
        position += 1
        let whenFalse = try conditional()
        return condition != 0 ? whenTrue : whenFalse
    }

    private mutating func binary(level: Int) throws(Failure) -> Int64 {
        guard level < Self.precedence.count else { return try unary() }
        var left = try binary(level: level + 1)
        while let op = peek, Self.precedence[level].contains(op) {
            position += 1
            let right = try binary(level: level + 1)
            left = try Self.apply(op, left, right)
        }
        return left
    }

    private static func apply(_ op: String, _ l: Int64, _ r: Int64) throws(Failure) -> Int64 {
        switch op {
        case "||": return (l != 0 || r != 0) ? 1 : 0
        case "&&": return (l != 0 && r != 0) ? 1 : 0
        case "|": return l | r
        case "^": return l ^ r
        case "&": return l & r
        case "==": return l == r ? 1 : 0
        case "!=": return l != r ? 1 : 0
        case "<": return l < r ? 1 : 0
        case ">": return l > r ? 1 : 0
        case "<=": return l <= r ? 1 : 0
        case ">=": return l >= r ? 1 : 0
        case "<<": return l << (r & 63)
        case ">>": return l >> (r & 63)
        case "+": return l &+ r
        case "-": return l &- r
        case "*": return l &* r
        default:
            guard r != 0 else { throw Failure(message: "division by zero") }
            return op == "/"
                ? l.dividedReportingOverflow(by: r).partialValue
                : l.remainderReportingOverflow(dividingBy: r).partialValue
        }
    }

    private mutating func unary() throws(Failure) -> Int64 {
        depth += 1
        defer { depth -= 1 }
        guard depth < Self.maximumDepth else { throw Failure(message: "expression nested too deeply") }
        guard let token = peek else { throw Failure(message: "expected a value at end of expression") }
        position += 1
        switch token {
        case "!": return try unary() == 0 ? 1 : 0
        case "-": return 0 &- (try unary())
        case "+": return try unary()
        case "~": return ~(try unary())
        case "(":
            let value = try conditional()
            guard peek == ")" else { throw Failure(message: "expected ')'") }
            position += 1
            return value
        case "defined":
            let parenthesized = peek == "("
            if parenthesized { position += 1 }
            guard let name = peek, name.first?.isLetter == true || name.first == "_" else {
                throw Failure(message: "expected a macro name after 'defined'")
            }
            position += 1
            if parenthesized {
                guard peek == ")" else { throw Failure(message: "expected ')'") }
                position += 1
            }
            return macros[name] != nil ? 1 : 0
        default:
            if let first = token.first, first.isNumber {
                return try Self.number(token)
            }
            guard token.first?.isLetter == true || token.first == "_" else {
                throw Failure(message: "unexpected '\(token)'")
            }
            // An identifier: its macro value if it is a number, else 0 (as in C).
            guard let text = macros[token], !text.isEmpty else { return 0 }
            return (try? Self.number(text)) ?? 0
        }
    }

    private static func number(_ token: String) throws(Failure) -> Int64 {
        let digits = token.trimmingSuffix { "uUlL".contains($0) }
        guard let value = IntegerLiteral.parse(digits, octal: true).flatMap(Int64.init(exactly:)) else {
            throw Failure(message: "invalid number '\(token)'")
        }
        return value
    }
}

extension StringProtocol {
    /// Without leading and trailing blanks.
    var trimmed: Substring {
        let text = self[...].drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        return Substring(text.trimmingSuffix { $0 == " " || $0 == "\t" || $0 == "\r" })
    }

    func trimmingSuffix(while predicate: (Character) -> Bool) -> SubSequence {
        var end = endIndex
        while end > startIndex {
            let before = index(before: end)
            guard predicate(self[before]) else { break }
            end = before
        }
        return self[startIndex..<end]
    }
}
