import CrossbitCore

/// A recursive-descent parser for the RPC language (RFC 5531 §12, RFC 4506 §6)
/// as rpcgen accepts it, with rpcgen's multi-argument procedures.
///
/// The grammar has no recursive productions (rpcgen has no inline struct
/// definitions), so the parser's stack depth is bounded. After an error it
/// skips to the end of the member, arm, procedure or definition it was in and
/// goes on, so that one run reports several mistakes.
struct Parser {
    private struct Failure: Error {}

    static let keywords: Set<String> = Set([
        "const", "typedef", "enum", "struct", "union", "switch", "case", "default", "program", "version",
        "void", "opaque", "string", "bool", "int", "unsigned", "long", "short", "char", "hyper", "float",
        "double", "quadruple", "__int3264",
    ]).union(WidthDependentType.allCases.map(\.idlName))

    /// The keywords that name a type (suggested for a misspelt type name).
    static let typeKeywords: [String] =
        [
            "string", "opaque", "int", "unsigned", "hyper", "bool", "float", "double", "quadruple", "void", "long",
            "short", "char",
        ] + WidthDependentType.allCases.map(\.idlName)

    private static let definitionKeywords: Set<String> = ["const", "typedef", "enum", "struct", "union", "program"]

    private let tokens: [Token]
    private var index = 0
    private var braceDepth = 0
    private var pendingPassThrough: [Definition] = []
    private(set) var definitions: [Definition] = []
    var diagnostics = DiagnosticSink()

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    static func parse(tokens: [Token]) -> Parser {
        var parser = Parser(tokens: tokens)
        parser.parseSpecification()
        return parser
    }

    // MARK: Tokens

    private mutating func peek() -> Token {
        while tokens[index].kind == .passThrough {
            let token = tokens[index]
            pendingPassThrough.append(.passThrough(token.text, token.location))
            index += 1
        }
        return tokens[index]
    }

    @discardableResult
    private mutating func advance() -> Token {
        let token = peek()
        if token.kind != .endOfFile { index += 1 }
        if token.isSymbol("{") { braceDepth += 1 }
        if token.isSymbol("}") { braceDepth -= 1 }
        return token
    }

    private mutating func fail(_ message: String, at token: Token) -> Failure {
        diagnostics.error(message, at: token.location)
        return Failure()
    }

    /// Consumes `symbol` or reports "expected SYMBOL CONTEXT, found …".
    @discardableResult
    private mutating func expect(_ symbol: String, _ context: String) throws(Failure) -> Token {
        let token = peek()
        guard token.isSymbol(symbol) else {
            throw fail("expected '\(symbol)' \(context), found \(token.shown)", at: token)
        }
        return advance()
    }

    private mutating func expectKeyword(_ keyword: String, _ context: String) throws(Failure) {
        let token = peek()
        guard token.isKeyword(keyword) else {
            throw fail("expected '\(keyword)' \(context), found \(token.shown)", at: token)
        }
        advance()
    }

    /// A name that is not a keyword.
    private mutating func identifier(_ what: String) throws(Failure) -> Token {
        let token = peek()
        guard token.kind == .identifier else {
            throw fail("expected \(what), found \(token.shown)", at: token)
        }
        guard !Self.keywords.contains(token.text) else {
            throw fail("expected \(what), found keyword \(token.shown)", at: token)
        }
        return advance()
    }

    private mutating func value(_ what: String) throws(Failure) -> Value {
        let token = peek()
        if token.kind == .number {
            advance()
            return .literal(token.value, text: token.text)
        }
        guard token.kind == .identifier, !Self.keywords.contains(token.text) else {
            throw fail("expected \(what) (a number or a constant name), found \(token.shown)", at: token)
        }
        advance()
        return .name(token.text)
    }

    /// Skips to the end of the current item: past a `;` at `depth`, or up to a
    /// `}` that closes `depth`, or up to a definition keyword at top level.
    private mutating func recover(toDepth depth: Int, stopAt stops: Set<String> = [";"]) {
        while true {
            let token = peek()
            if token.kind == .endOfFile || braceDepth < depth { return }
            if braceDepth == depth {
                if token.isSymbol("}") && depth > 0 { return }
                if token.kind == .symbol && stops.contains(token.text) {
                    if token.text == ";" { advance() }
                    return
                }
                if depth == 0, token.kind == .identifier, Self.definitionKeywords.contains(token.text),
                    index > 0, tokens[index - 1].isSymbol(";") || tokens[index - 1].isSymbol("}")
                {
                    return
                }
            }
            advance()
        }
    }

    /// Parses the items between braces, up to the closing `}` (not consumed).
    /// A failed item is skipped to its end; `failed` says whether one was.
    private mutating func body<Item>(
        _ parseItem: (inout Parser) throws(Failure) -> Item?
    ) -> (items: [Item], failed: Bool) {
        let depth = braceDepth
        var items: [Item] = []
        var failed = false
        while !peek().isSymbol("}") && peek().kind != .endOfFile && !diagnostics.isFull {
            do {
                if let item = try parseItem(&self) { items.append(item) }
            } catch {
                failed = true
                recover(toDepth: depth)
            }
        }
        return (items, failed)
    }

    // MARK: Definitions

    private mutating func parseSpecification() {
        while !diagnostics.isFull {
            let token = peek()
            definitions += pendingPassThrough
            pendingPassThrough = []
            if token.kind == .endOfFile { break }
            let start = index
            do {
                let definition = try self.definition()
                definitions += pendingPassThrough
                pendingPassThrough = []
                definitions.append(definition)
            } catch {
                braceDepthRecovery()
                if index == start { advance() }
            }
        }
    }

    private mutating func braceDepthRecovery() {
        recover(toDepth: 0)
        braceDepth = max(braceDepth, 0)
    }

    private mutating func definition() throws(Failure) -> Definition {
        let token = peek()
        switch token.kind == .identifier ? token.text : "" {
        case "const": return .constant(try constant())
        case "typedef":
            advance()
            let declaration = try self.declaration(context: "typedef")
            let end = try expect(";", "after typedef '\(declaration.name)'")
            return .typedef(TypedefDefinition(declaration: declaration, comment: token.comment ?? end.trailingComment))
        case "enum": return .enum(try enumDefinition())
        case "struct": return .struct(try structDefinition())
        case "union": return .union(try unionDefinition())
        case "program": return .program(try program())
        default:
            throw fail(
                "expected a definition ('const', 'typedef', 'enum', 'struct', 'union' or 'program'), "
                    + "found \(token.shown)",
                at: token)
        }
    }

    private mutating func constant() throws(Failure) -> ConstantDefinition {
        let keyword = advance()
        let name = try identifier("a constant name after 'const'")
        try expect("=", "after constant name '\(name.text)'")
        // rpcgen also allows a string literal; it is kept, quotes included, as a name.
        let value =
            peek().kind == .string
            ? Value.name(advance().text) : try value("a value for constant '\(name.text)'")
        let end = try expect(";", "after constant '\(name.text)'")
        return ConstantDefinition(
            name: name.text, value: value, location: name.location, comment: keyword.comment ?? end.trailingComment)
    }

    private mutating func enumDefinition() throws(Failure) -> EnumDefinition {
        let keyword = advance()
        let name = try identifier("an enum name after 'enum'")
        let open = try expect("{", "to open enum '\(name.text)'")
        let depth = braceDepth
        var cases: [EnumDefinition.Case] = []
        repeat {
            do {
                let caseName = try identifier("an enum case name in enum '\(name.text)'")
                var value = Value.literal(0, text: "")
                if peek().isSymbol("=") {
                    advance()
                    value = try self.value("a value for enum case '\(caseName.text)'")
                }
                let next = peek()
                let trailing = tokens[index - 1].trailingComment ?? (next.isSymbol(",") ? next.trailingComment : nil)
                cases.append(
                    EnumDefinition.Case(
                        name: caseName.text, value: value, location: caseName.location,
                        comment: caseName.comment ?? trailing))
                guard next.isSymbol(",") || next.isSymbol("}") else {
                    throw fail("expected ',' or '}' after enum case '\(caseName.text)', found \(next.shown)", at: next)
                }
            } catch {
                recover(toDepth: depth, stopAt: [","])
            }
        } while peek().isSymbol(",") && advance().kind == .symbol
        try expect("}", "to close enum '\(name.text)'")
        try expect(";", "after enum '\(name.text)'")
        return EnumDefinition(
            name: name.text, cases: cases, location: name.location, comment: keyword.comment ?? open.trailingComment)
    }

    private mutating func structDefinition() throws(Failure) -> StructDefinition {
        let keyword = advance()
        let name = try identifier("a struct name after 'struct'")
        let open = try expect("{", "to open struct '\(name.text)'")
        let (fields, failed) = body { parser throws(Failure) in
            var field = try parser.declaration(context: "struct field")
            let end = try parser.expect(";", "after field '\(field.name)' of struct '\(name.text)'")
            field.comment = field.comment ?? end.trailingComment
            return field
        }
        try expect("}", "to close struct '\(name.text)'")
        try expect(";", "after struct '\(name.text)'")
        if fields.isEmpty && !failed {
            diagnostics.error("struct '\(name.text)' has no fields", at: name.location)
        }
        return StructDefinition(
            name: name.text, fields: fields, location: name.location, comment: keyword.comment ?? open.trailingComment)
    }

    private mutating func unionDefinition() throws(Failure) -> UnionDefinition {
        let keyword = advance()
        let name = try identifier("a union name after 'union'")
        try expectKeyword("switch", "after union name '\(name.text)'")
        try expect("(", "after 'switch'")
        let discriminant = try declaration(context: "union discriminant")
        try expect(")", "after the discriminant of union '\(name.text)'")
        let open = try expect("{", "to open union '\(name.text)'")
        var defaultArm: Declaration?
        let (arms, failed) = body { parser throws(Failure) -> UnionDefinition.Arm? in
            let start = parser.peek()
            if start.isKeyword("default") {
                parser.advance()
                try parser.expect(":", "after 'default'")
                var declaration = try parser.declaration(context: "union arm")
                let end = try parser.expect(";", "after the default arm of union '\(name.text)'")
                declaration.comment = declaration.comment ?? end.trailingComment
                if defaultArm != nil {
                    parser.diagnostics.error("union '\(name.text)' has more than one default arm", at: start.location)
                }
                defaultArm = declaration
                return nil
            }
            var values: [Value] = []
            while parser.peek().isKeyword("case") {
                parser.advance()
                values.append(try parser.value("a case value"))
                try parser.expect(":", "after case value '\(values[values.count - 1])'")
            }
            if values.isEmpty {
                throw parser.fail(
                    "expected 'case', 'default' or '}' in union '\(name.text)', found \(start.shown)", at: start)
            }
            var declaration = try parser.declaration(context: "union arm")
            let end = try parser.expect(";", "after union arm '\(declaration.name)'")
            declaration.comment = declaration.comment ?? end.trailingComment
            return UnionDefinition.Arm(values: values, declaration: declaration, location: start.location)
        }
        try expect("}", "to close union '\(name.text)'")
        try expect(";", "after union '\(name.text)'")
        if arms.isEmpty && defaultArm == nil && !failed {
            diagnostics.error("union '\(name.text)' has no arms", at: name.location)
        }
        return UnionDefinition(
            name: name.text, discriminant: discriminant, arms: arms, defaultArm: defaultArm, location: name.location,
            comment: keyword.comment ?? open.trailingComment)
    }

    private mutating func program() throws(Failure) -> ProgramDefinition {
        let keyword = advance()
        let (name, versions, number, trailing) = try numberedBlock("program", of: "versions") {
            parser, program throws(Failure) in try parser.version(in: program)
        }
        return ProgramDefinition(
            name: name.text, number: number, versions: versions, location: name.location,
            comment: keyword.comment ?? trailing)
    }

    private mutating func version(in program: String) throws(Failure) -> VersionDefinition {
        let keyword = peek()
        try expectKeyword("version", "in program '\(program)'")
        let (name, procedures, number, trailing) = try numberedBlock("version", of: "procedures") {
            parser, _ throws(Failure) in try parser.procedure()
        }
        return VersionDefinition(
            name: name.text, number: number, procedures: procedures, location: name.location,
            comment: keyword.comment ?? trailing)
    }

    /// `NAME { ITEM... } = NUMBER;` after the keyword `kind` (`program` or
    /// `version`); an empty body that parsed cleanly is an error. Also gives
    /// a comment after the `{` on its line, which documents the block.
    private mutating func numberedBlock<Item>(
        _ kind: String, of items: String, _ parseItem: (inout Parser, String) throws(Failure) -> Item?
    ) throws(Failure) -> (name: Token, items: [Item], number: Value, trailingComment: String?) {
        let name = try identifier("a \(kind) name after '\(kind)'")
        let open = try expect("{", "to open \(kind) '\(name.text)'")
        let (parsed, failed) = body { parser throws(Failure) in try parseItem(&parser, name.text) }
        try expect("}", "to close \(kind) '\(name.text)'")
        try expect("=", "and a \(kind) number after \(kind) '\(name.text)'")
        let number = try value("a \(kind) number")
        try expect(";", "after the number of \(kind) '\(name.text)'")
        if parsed.isEmpty && !failed {
            diagnostics.error("\(kind) '\(name.text)' has no \(items)", at: name.location)
        }
        return (name, parsed, number, open.trailingComment)
    }

    private mutating func procedure() throws(Failure) -> ProcedureDefinition {
        let first = peek()
        let result = try procedureType(context: "result")
        let name = try identifier("a procedure name")
        try expect("(", "after procedure name '\(name.text)'")
        var arguments: [Declaration] = []
        repeat {
            let argument = try procedureType(context: "argument")
            if case .void = argument.kind {
                if !arguments.isEmpty || peek().isSymbol(",") {
                    diagnostics.error(
                        "'void' must be the only argument of procedure '\(name.text)'", at: argument.location)
                }
            } else {
                arguments.append(argument)
            }
        } while peek().isSymbol(",") && advance().kind == .symbol
        try expect(")", "after the arguments of procedure '\(name.text)'")
        try expect("=", "and a procedure number after procedure '\(name.text)'")
        let number = try value("a procedure number")
        let end = try expect(";", "after the number of procedure '\(name.text)'")
        return ProcedureDefinition(
            name: name.text, number: number, result: result, arguments: arguments, location: name.location,
            comment: first.comment ?? end.trailingComment)
    }

    /// A procedure argument or result: `void`, `T`, `string` or `string<N>`,
    /// with an optional name for arguments.
    private mutating func procedureType(context: String) throws(Failure) -> Declaration {
        let start = peek()
        if start.isKeyword("void") {
            advance()
            return Declaration(name: "", kind: .void, location: start.location, comment: start.comment)
        }
        let kind: Declaration.Kind
        var spelling: String?
        if start.isKeyword("string") || start.isKeyword("opaque") {
            if start.isKeyword("opaque") {
                throw fail(
                    "'opaque' is not allowed as a procedure \(context) (rpcgen rejects it); "
                        + "expected a typedef of opaque data",
                    at: start)
            }
            advance()
            kind = .string(maximum: try optionalBound(for: start.text))
        } else {
            let type = try typeSpecifier(context: context)
            spelling = type.spelling
            kind = .plain(type.type)
            if peek().isSymbol("*") {
                throw fail(
                    "optional data ('*') is not allowed as a procedure \(context) (rpcgen cannot generate it); "
                        + "expected a typedef of optional data", at: peek())
            }
        }
        var name = ""
        if context == "argument", peek().kind == .identifier, !Self.keywords.contains(peek().text) {
            name = advance().text
        }
        return Declaration(name: name, kind: kind, location: start.location, comment: start.comment, spelling: spelling)
    }

    /// `<N>`, `<>` or nothing after `string`/`opaque` in a procedure signature.
    private mutating func optionalBound(for keyword: String) throws(Failure) -> Value? {
        guard peek().isSymbol("<") else { return nil }
        advance()
        if peek().isSymbol(">") {
            advance()
            return nil
        }
        let bound = try value("a maximum size for '\(keyword)'")
        try expect(">", "after the maximum size")
        return bound
    }

    // MARK: Declarations and types

    /// A declaration of RFC 4506 §6.3; `void` only where `context` allows it.
    private mutating func declaration(context: String) throws(Failure) -> Declaration {
        let start = peek()
        if start.isKeyword("void") {
            advance()
            guard context == "union arm" else {
                throw fail("'void' is not allowed as a \(context); expected a type", at: start)
            }
            return Declaration(name: "", kind: .void, location: start.location, comment: start.comment)
        }
        if start.isKeyword("opaque") || start.isKeyword("string") {
            advance()
            let name = try identifier("a name after '\(start.text)'")
            let open = peek()
            let kind: Declaration.Kind
            if open.isSymbol("[") && start.text == "opaque" {
                advance()
                let count = try value("a size for opaque '\(name.text)'")
                try expect("]", "after the size of '\(name.text)'")
                kind = .fixedOpaque(count: count)
            } else if open.isSymbol("<") {
                advance()
                let maximum = peek().isSymbol(">") ? nil : try value("a maximum size for '\(name.text)'")
                try expect(">", "after the maximum size of '\(name.text)'")
                kind = start.text == "opaque" ? .variableOpaque(maximum: maximum) : .string(maximum: maximum)
            } else {
                let expected = start.text == "opaque" ? "'[' or '<'" : "'<'"
                throw fail("expected \(expected) after \(start.text) '\(name.text)', found \(open.shown)", at: open)
            }
            return Declaration(name: name.text, kind: kind, location: name.location, comment: start.comment)
        }
        let type = try typeSpecifier(context: context)
        if peek().isSymbol("*") {
            advance()
            let name = try identifier("a name after '*'")
            return Declaration(
                name: name.text, kind: .optional(type.type), location: name.location, comment: start.comment,
                spelling: type.spelling)
        }
        let name = try identifier("a name for the \(context)")
        var kind = Declaration.Kind.plain(type.type)
        if peek().isSymbol("[") {
            advance()
            let count = try value("an array size for '\(name.text)'")
            try expect("]", "after the array size of '\(name.text)'")
            kind = .fixedArray(type.type, count: count)
        } else if peek().isSymbol("<") {
            advance()
            let maximum = peek().isSymbol(">") ? nil : try value("a maximum size for '\(name.text)'")
            try expect(">", "after the maximum size of '\(name.text)'")
            kind = .variableArray(type.type, maximum: maximum)
        }
        return Declaration(
            name: name.text, kind: kind, location: name.location, comment: start.comment, spelling: type.spelling)
    }

    /// A type specifier, and its spelling when that differs from the canonical one.
    private mutating func typeSpecifier(context: String) throws(Failure) -> (type: TypeSpecifier, spelling: String?) {
        let token = peek()
        guard token.kind == .identifier else {
            throw fail("expected a type for the \(context), found \(token.shown)", at: token)
        }
        advance()
        switch token.text {
        case "int": return (.int, nil)
        case "long", "short", "char": return (.int, token.text)
        case "hyper": return (.hyper, nil)
        case "float": return (.float, nil)
        case "double": return (.double, nil)
        case "quadruple": return (.quadruple, nil)
        case "bool": return (.bool, nil)
        case "__int3264": return (.widthDependent(.intptrT), token.text)
        case "u_int": return (.unsignedInt, token.text)
        case "u_long", "u_short", "u_char": return (.unsignedInt, token.text)
        case "unsigned":
            let next = peek()
            switch next.kind == .identifier ? next.text : "" {
            case "int":
                advance()
                return (.unsignedInt, nil)
            case "long", "short", "char":
                advance()
                return (.unsignedInt, "unsigned \(next.text)")
            case "hyper":
                advance()
                return (.unsignedHyper, nil)
            case "__int3264":
                advance()
                return (.widthDependent(.uintptrT), "unsigned __int3264")
            default:
                return (.unsignedInt, "unsigned")
            }
        case "struct", "enum", "union":
            let name = try identifier("a type name after '\(token.text)'")
            return (.named(name.text), "\(token.text) \(name.text)")
        case "void", "opaque", "string":
            throw fail("'\(token.text)' is not allowed as a \(context) here; expected a type", at: token)
        default:
            if let width = WidthDependentType(rawValue: token.text) { return (.widthDependent(width), nil) }
            guard !Self.keywords.contains(token.text) else {
                throw fail("expected a type for the \(context), found keyword \(token.shown)", at: token)
            }
            return (.named(token.text), nil)
        }
    }
}
