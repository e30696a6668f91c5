import CrossbitCore

/// The semantic checks of SPEC §2 over a parsed specification: names,
/// values and their ranges, union discriminants and cases, program numbers,
/// recursion without indirection, and a bound on type nesting.
struct Checker {
    /// The deepest chain of named types one type may contain.
    static let maximumNestingDepth = 256

    private(set) var specification: Specification
    private(set) var types: [String: TypeDefinition] = [:]
    private(set) var resolvedValues: [String: Int128] = ["TRUE": 1, "FALSE": 0]
    var diagnostics = DiagnosticSink()

    /// Constants and enum cases by name, before resolution.
    private var valueDefinitions: [String: (value: Value, location: SourceLocation)] = [:]
    private var resolving: Set<String> = []
    private var reportedCycles: Set<String> = []

    /// Types and values that come from elsewhere: built in (`netobj`) or from the
    /// `.x` file of a header the file `%#include`s. The file may redefine them.
    private var externalTypes: Set<String> = []
    private var externalValues: Set<String> = []
    /// String constants (`const NAME = "text";`), which have no number.
    private var stringConstants: Set<String> = []

    /// The types libtirpc has XDR routines for, which `.x` files use without
    /// defining them (rpcgen leaves them to the C compiler): `netobj`
    /// (`opaque<MAX_NETOBJ_SZ>`), `des_block` (`opaque[8]`) and the C99 integers.
    static let builtInTypes: [String: TypeDefinition] = {
        let location = SourceLocation(file: "<built-in>", line: 1, column: 1)
        func typedef(_ name: String, _ kind: Declaration.Kind) -> (String, TypeDefinition) {
            (name, .typedef(TypedefDefinition(declaration: Declaration(name: name, kind: kind, location: location))))
        }
        return Dictionary(uniqueKeysWithValues: [
            typedef("netobj", .variableOpaque(maximum: .literal(1024, text: "1024"))),
            typedef("des_block", .fixedOpaque(count: .literal(8, text: "8"))),
            typedef("int8_t", .plain(.int)), typedef("int16_t", .plain(.int)), typedef("int32_t", .plain(.int)),
            typedef("uint8_t", .plain(.unsignedInt)), typedef("uint16_t", .plain(.unsignedInt)),
            typedef("uint32_t", .plain(.unsignedInt)), typedef("u_int8_t", .plain(.unsignedInt)),
            typedef("u_int16_t", .plain(.unsignedInt)), typedef("u_int32_t", .plain(.unsignedInt)),
            typedef("int64_t", .plain(.hyper)), typedef("quad_t", .plain(.hyper)),
            typedef("uint64_t", .plain(.unsignedHyper)), typedef("u_int64_t", .plain(.unsignedHyper)),
            typedef("u_quad_t", .plain(.unsignedHyper)),
        ])
    }()

    /// Constants of libtirpc's headers that `.x` files use.
    static let builtInValues: [String: Int128] = ["MAX_NETOBJ_SZ": 1024, "MAXNETNAMELEN": 255]

    init(
        specification: Specification, imports: [String: TypeDefinition] = [:],
        importedValues: [String: Int128] = [:]
    ) {
        self.specification = specification
        types = imports.merging(Self.builtInTypes) { imported, _ in imported }
        externalTypes = Set(types.keys)
        for (name, value) in importedValues.merging(Self.builtInValues, uniquingKeysWith: { imported, _ in imported })
        where resolvedValues[name] == nil {
            resolvedValues[name] = value
            externalValues.insert(name)
        }
    }

    mutating func check() {
        // `typedef struct X X;` is a C idiom rpcgen accepts; it says nothing new.
        specification.definitions.removeAll { definition in
            if case .typedef(let typedef) = definition, case .plain(.named(typedef.name)) = typedef.declaration.kind {
                return true
            }
            return false
        }
        assignImplicitEnumValues()
        collectNames()
        for name in valueDefinitions.keys.sorted() { _ = resolve(name: name, at: nil) }
        replaceImplicitEnumValues()
        for definition in specification.definitions {
            switch definition {
            case .constant(let constant) where !stringConstants.contains(constant.name):
                checkRange(
                    constant.value, at: constant.location, Int128(Int64.min)...Int128(UInt64.max),
                    "constant '\(constant.name)'")
            case .typedef(let typedef):
                checkDeclaration(typedef.declaration, in: "typedef '\(typedef.name)'")
            case .enum(let definition):
                checkEnum(definition)
            case .struct(let definition):
                checkFieldNames(definition.fields, in: "struct '\(definition.name)'")
                for field in definition.fields { checkDeclaration(field, in: "struct '\(definition.name)'") }
            case .union(let definition):
                checkUnion(definition)
            case .program(let program):
                checkProgram(program)
            case .constant, .passThrough:
                break
            }
        }
        checkRecursion()
        checkNesting()
    }

    // MARK: Names

    /// rpcgen lets enum cases go without a value: one more than the previous case.
    private mutating func assignImplicitEnumValues() {
        for (index, definition) in specification.definitions.enumerated() {
            guard case .enum(var enumeration) = definition else { continue }
            var previous: (name: String, value: Value)?
            for caseIndex in enumeration.cases.indices {
                if case .literal(_, text: "") = enumeration.cases[caseIndex].value {
                    enumeration.cases[caseIndex].value =
                        switch previous {
                        case nil: .literal(0, text: "0")
                        case (_, .literal(let number, _))?: .literal(number + 1, text: "\(number + 1)")
                        // One more than the previous case, resolved with the other names.
                        case (let name, .name)?: .name("\(name) + 1")
                        }
                }
                previous = (enumeration.cases[caseIndex].name, enumeration.cases[caseIndex].value)
            }
            specification.definitions[index] = .enum(enumeration)
        }
    }

    /// Writes the resolved value of cases that follow a named value.
    private mutating func replaceImplicitEnumValues() {
        for (index, definition) in specification.definitions.enumerated() {
            guard case .enum(var enumeration) = definition else { continue }
            for caseIndex in enumeration.cases.indices {
                guard case .name(let text) = enumeration.cases[caseIndex].value, text.hasSuffix(" + 1") else {
                    continue
                }
                let number = resolvedValues[enumeration.cases[caseIndex].name] ?? 0
                enumeration.cases[caseIndex].value = .literal(number, text: "\(number)")
            }
            specification.definitions[index] = .enum(enumeration)
            if case .enum(let known)? = types[enumeration.name], known.location == enumeration.location {
                types[enumeration.name] = .enum(enumeration)
            }
        }
    }

    private mutating func collectNames() {
        var programNames: [String: SourceLocation] = [:]
        for definition in specification.definitions {
            switch definition {
            case .constant(let constant):
                defineValue(constant.name, constant.value, at: constant.location)
            case .enum(let definition):
                defineType(.enum(definition))
                for enumCase in definition.cases { defineValue(enumCase.name, enumCase.value, at: enumCase.location) }
            case .typedef(let definition): defineType(.typedef(definition))
            case .struct(let definition): defineType(.struct(definition))
            case .union(let definition): defineType(.union(definition))
            case .program(let program):
                if let previous = programNames[program.name] {
                    diagnostics.error(
                        "duplicate program name '\(program.name)' (first defined at \(previous))", at: program.location)
                }
                programNames[program.name] = program.location
            case .passThrough(let text, let location):
                defineMacroConstant(text, at: location)
            }
        }
    }

    /// Takes `%#define NAME VALUE` lines as constants when VALUE is an integer
    /// expression over numbers and names already known, since rpcsvc files size
    /// arrays with them (`%#define LM_MAXSTRLEN 1024`).
    private mutating func defineMacroConstant(_ text: String, at location: SourceLocation) {
        var scanner = DirectiveScanner(text: text.trimmed)
        guard scanner.rest.first == "#" else { return }
        scanner = DirectiveScanner(text: scanner.rest.dropFirst())
        guard scanner.word() == "define" else { return }
        let name = scanner.word()
        let expression = scanner.rest
        guard !name.isEmpty, !expression.hasPrefix("("), valueDefinitions[name] == nil else { return }
        let known = resolvedValues.merging(macroConstants) { first, _ in first }
        guard DirectiveScanner.identifiers(in: expression).allSatisfy({ known[$0] != nil }) else { return }
        var evaluator = ExpressionEvaluator(
            tokens: DirectiveScanner.tokens(in: expression), macros: known.mapValues { "\($0)" })
        guard let value = try? evaluator.evaluate() else { return }
        macroConstants[name] = Int128(value)
        valueDefinitions[name] = (.literal(Int128(value), text: "\(value)"), location)
    }

    private var macroConstants: [String: Int128] = [:]

    private mutating func defineType(_ definition: TypeDefinition) {
        if externalTypes.remove(definition.name) != nil {
            types[definition.name] = definition
        } else if let previous = types[definition.name] {
            diagnostics.error(
                "duplicate type name '\(definition.name)' (first defined at \(previous.location))",
                at: definition.location)
        } else {
            types[definition.name] = definition
        }
    }

    private mutating func defineValue(_ name: String, _ value: Value, at location: SourceLocation) {
        if externalValues.remove(name) != nil { resolvedValues[name] = nil }
        if value.stringLiteral != nil { stringConstants.insert(name) }
        if let previous = valueDefinitions[name] {
            diagnostics.error(
                "duplicate name '\(name)' (first defined at \(previous.location))", at: location)
        } else if name == "TRUE" || name == "FALSE" {
            diagnostics.error("'\(name)' is predefined as \(name == "TRUE" ? 1 : 0)", at: location)
        } else {
            valueDefinitions[name] = (value, location)
        }
    }

    /// The value of a constant or enum case, resolving names it refers to.
    private mutating func resolve(name: String, at use: SourceLocation?) -> Int128? {
        if let value = resolvedValues[name] { return value }
        guard let definition = valueDefinitions[name] else {
            if let use {
                let hint =
                    types[name] != nil
                    ? "'\(name)' is a type; expected a constant or enum case" : "undefined constant '\(name)'"
                diagnostics.error(hint, at: use)
            }
            return nil
        }
        if stringConstants.contains(name) {
            if let use { diagnostics.error("constant '\(name)' is a string; expected a number", at: use) }
            return nil
        }
        guard resolving.insert(name).inserted else {
            if reportedCycles.insert(name).inserted {
                diagnostics.error("constant '\(name)' is defined in terms of itself", at: definition.location)
            }
            return nil
        }
        defer { resolving.remove(name) }
        let value: Int128?
        switch definition.value {
        case .literal(let number, _):
            value = number
        case .name(let text) where text.hasSuffix(" + 1"):
            value = resolve(name: String(text.dropLast(4)), at: definition.location).map { $0 + 1 }
        case .name(let other):
            value = resolve(name: other, at: definition.location)
        }
        if let value { resolvedValues[name] = value }
        return value
    }

    private mutating func value(_ value: Value, at location: SourceLocation) -> Int128? {
        switch value {
        case .literal(let number, _): number
        case .name(let name): resolve(name: name, at: location)
        }
    }

    @discardableResult
    private mutating func checkRange(
        _ value: Value, at location: SourceLocation, _ range: ClosedRange<Int128>, _ what: String
    ) -> Int128? {
        guard let number = self.value(value, at: location) else { return nil }
        guard range.contains(number) else {
            diagnostics.error(
                "\(what) is out of range: \(number) is not between \(range.lowerBound) and \(range.upperBound)",
                at: location)
            return nil
        }
        return number
    }

    // MARK: Types and declarations

    private mutating func checkType(_ type: TypeSpecifier, at location: SourceLocation) {
        guard case .named(let name) = type, types[name] == nil else { return }
        if valueDefinitions[name] != nil {
            diagnostics.error("'\(name)' is a constant, not a type", at: location)
        } else {
            diagnostics.error("undefined type '\(name)'\(CloseMatch.didYouMean(name, among: typeNames))", at: location)
        }
    }

    /// Every type name a declaration may use: the built-in ones, then the defined ones (sorted, for stable output).
    private var typeNames: [String] {
        Parser.typeKeywords + types.keys.sorted()
    }

    private mutating func checkDeclaration(_ declaration: Declaration, in context: String) {
        let location = declaration.location
        let bound = Int128(0)...Int128(UInt32.max)
        switch declaration.kind {
        case .plain(let type), .optional(let type):
            checkType(type, at: location)
        case .fixedArray(let type, let count):
            checkType(type, at: location)
            checkFixedSize(count, at: location, declaration.name)
        case .variableArray(let type, let maximum):
            checkType(type, at: location)
            if let maximum { checkRange(maximum, at: location, bound, "maximum size of '\(declaration.name)'") }
        case .fixedOpaque(let count):
            checkFixedSize(count, at: location, declaration.name)
        case .variableOpaque(let maximum?), .string(let maximum?):
            checkRange(maximum, at: location, bound, "maximum size of '\(declaration.name)'")
        case .variableOpaque(nil), .string(nil), .void:
            break
        }
    }

    private mutating func checkFixedSize(_ count: Value, at location: SourceLocation, _ name: String) {
        let size = checkRange(count, at: location, Int128(0)...Int128(UInt32.max), "size of array '\(name)'")
        if size == 0 {
            diagnostics.error("fixed-size array '\(name)' has size 0; expected at least 1", at: location)
        }
    }

    private mutating func checkFieldNames(_ fields: [Declaration], in context: String) {
        var seen: [String: SourceLocation] = [:]
        for field in fields where !field.name.isEmpty {
            if let previous = seen[field.name] {
                diagnostics.error(
                    "duplicate member name '\(field.name)' in \(context) (first at \(previous))", at: field.location)
            }
            seen[field.name] = seen[field.name] ?? field.location
        }
    }

    private mutating func checkEnum(_ definition: EnumDefinition) {
        var seen: [Int128: String] = [:]
        for enumCase in definition.cases {
            guard
                let number = checkRange(
                    enumCase.value, at: enumCase.location, Int128(Int32.min)...Int128(Int32.max),
                    "value of enum case '\(enumCase.name)'")
            else { continue }
            if let previous = seen[number] {
                // C and rpcgen allow aliases, and rpcsvc's nis_object.x relies on them.
                diagnostics.warning(
                    "duplicate value \(number) in enum '\(definition.name)': "
                        + "'\(enumCase.name)' is an alias of '\(previous)'",
                    at: enumCase.location)
            }
            seen[number] = seen[number] ?? enumCase.name
        }
    }

    /// The resolver over the names collected so far (all of them, once ``check()`` checks definitions).
    private var resolver: TypeResolver { TypeResolver(types: types, values: resolvedValues) }

    private mutating func checkUnion(_ definition: UnionDefinition) {
        checkDeclaration(definition.discriminant, in: "union '\(definition.name)'")
        let kind = resolver.discriminantKind(of: definition)
        let caseRange = kind?.caseRange ?? discriminantProblem(definition)
        var enumValues: [Int128: String]?
        if case .enumeration(let enumeration)? = kind {
            enumValues = Dictionary(
                enumeration.cases.compactMap { c in resolvedValues[c.name].map { ($0, c.name) } },
                uniquingKeysWith: { first, _ in first })
        }
        var seen: [Int128: SourceLocation] = [:]
        for arm in definition.arms {
            for value in arm.values {
                guard let range = caseRange,
                    let number = checkRange(
                        value, at: arm.location, range, "case value '\(value)' of union '\(definition.name)'")
                else { continue }
                if let enumValues, enumValues[number] == nil, case .enumeration(let enumeration)? = kind {
                    diagnostics.error(
                        "case value '\(value)' (\(number)) of union '\(definition.name)' is not a value of enum "
                            + "'\(enumeration.name)'",
                        at: arm.location)
                }
                if let previous = seen[number] {
                    diagnostics.error(
                        "duplicate case value \(number) in union '\(definition.name)' (first at \(previous))",
                        at: arm.location)
                }
                seen[number] = seen[number] ?? arm.location
            }
            checkDeclaration(arm.declaration, in: "union '\(definition.name)'")
        }
        let declarations = definition.arms.map(\.declaration) + (definition.defaultArm.map { [$0] } ?? [])
        checkFieldNames(declarations, in: "union '\(definition.name)'")
        if let defaultArm = definition.defaultArm { checkDeclaration(defaultArm, in: "union '\(definition.name)'") }
    }

    /// Reports a discriminant of no allowed kind; the range of its case values if they can still be checked
    /// (an undefined type, reported where it is used).
    private mutating func discriminantProblem(_ definition: UnionDefinition) -> ClosedRange<Int128>? {
        let discriminant = definition.discriminant
        guard case .plain(let type) = discriminant.kind else {
            diagnostics.error(
                "union '\(definition.name)' has a discriminant that is not a plain type; "
                    + "expected int, unsigned int, bool or an enum",
                at: discriminant.location)
            return nil
        }
        switch resolver.resolved(type) {
        case .named(let name) where types[name] == nil:
            return Int128(Int32.min)...Int128(Int32.max)
        case .widthDependent(let width):
            diagnostics.error(
                "union '\(definition.name)' has a width-dependent discriminant of type '\(width.idlName)'; "
                    + "expected int, unsigned int, bool or an enum "
                    + "(the discriminant must have one width in both layouts)",
                at: discriminant.location)
        default:
            diagnostics.error(
                "union '\(definition.name)' has a discriminant of type '\(type)'; "
                    + "expected int, unsigned int, bool or an enum",
                at: discriminant.location)
        }
        return nil
    }

    // MARK: Programs

    private mutating func checkProgram(_ program: ProgramDefinition) {
        let numbers = Int128(0)...Int128(UInt32.max)
        var seenPrograms = programNumbers
        checkUnique(program.number, at: program.location, "program number", of: "the file", in: &seenPrograms)
        programNumbers = seenPrograms
        checkRange(program.number, at: program.location, numbers, "number of program '\(program.name)'")
        var versionNumbers: [Int128: SourceLocation] = [:]
        var versionNames: Set<String> = []
        for version in program.versions {
            if !versionNames.insert(version.name).inserted {
                diagnostics.error(
                    "duplicate version name '\(version.name)' in program '\(program.name)'", at: version.location)
            }
            checkRange(version.number, at: version.location, numbers, "number of version '\(version.name)'")
            checkUnique(
                version.number, at: version.location, "version number", of: "program '\(program.name)'",
                in: &versionNumbers)
            var procedureNumbers: [Int128: SourceLocation] = [:]
            var procedureNames: Set<String> = []
            for procedure in version.procedures {
                if !procedureNames.insert(procedure.name).inserted {
                    diagnostics.error(
                        "duplicate procedure name '\(procedure.name)' in version '\(version.name)'",
                        at: procedure.location)
                }
                checkRange(procedure.number, at: procedure.location, numbers, "number of procedure '\(procedure.name)'")
                checkUnique(
                    procedure.number, at: procedure.location, "procedure number", of: "version '\(version.name)'",
                    in: &procedureNumbers)
                for declaration in [procedure.result] + procedure.arguments {
                    checkDeclaration(declaration, in: "procedure '\(procedure.name)'")
                }
            }
        }
    }

    private var programNumbers: [Int128: SourceLocation] = [:]

    private mutating func checkUnique(
        _ number: Value, at location: SourceLocation, _ what: String, of owner: String,
        in seen: inout [Int128: SourceLocation]
    ) {
        guard let value = value(number, at: location) else { return }
        if let previous = seen[value] {
            diagnostics.error("duplicate \(what) \(value) in \(owner) (first used at \(previous))", at: location)
        } else {
            seen[value] = location
        }
    }

    // MARK: Recursion and nesting

    /// Named types a type contains, and whether each is contained directly
    /// (without optional data or a variable-length array in between).
    func references(of name: String) -> [(name: String, direct: Bool)] {
        guard let definition = types[name] else { return [] }
        let declarations: [Declaration] =
            switch definition {
            case .typedef(let typedef): [typedef.declaration]
            case .enum: []
            case .struct(let structure): structure.fields
            case .union(let union):
                [union.discriminant] + union.arms.map(\.declaration) + (union.defaultArm.map { [$0] } ?? [])
            }
        return declarations.compactMap { declaration in
            switch declaration.kind {
            case .plain(.named(let name)), .fixedArray(.named(let name), _): (name, true)
            case .optional(.named(let name)), .variableArray(.named(let name), _): (name, false)
            default: nil
            }
        }
    }

    /// Reports every type that contains itself without indirection, which no
    /// value can encode and no C compiler can lay out.
    private mutating func checkRecursion() {
        var state: [String: Bool] = [:]  // false: on the stack, true: done
        var reported: Set<String> = []
        for definition in specification.definitions {
            guard case let name? = Self.typeName(of: definition) else { continue }
            // Iterative depth-first search over direct references.
            var stack: [(name: String, next: [String])] = []
            if state[name] == nil {
                state[name] = false
                stack.append((name, references(of: name).filter(\.direct).map(\.name)))
            }
            while !stack.isEmpty {
                guard let child = stack[stack.count - 1].next.popLast() else {
                    state[stack.removeLast().name] = true
                    continue
                }
                switch state[child] {
                case nil where types[child] != nil:
                    state[child] = false
                    stack.append((child, references(of: child).filter(\.direct).map(\.name)))
                case false?:
                    let cycle = stack.map(\.name).drop { $0 != child }
                    if let location = types[child]?.location, reported.insert(child).inserted {
                        let path = (cycle + [child]).joined(separator: " -> ")
                        diagnostics.error(
                            "type '\(child)' contains itself without indirection (\(path)); "
                                + "expected optional data ('*') or a variable-length array ('<>') on the way",
                            at: location)
                    }
                default:
                    break
                }
            }
        }
    }

    /// Bounds the depth of named types within named types, so that every
    /// later walk over a type (layout, code generation) has a bounded depth.
    private mutating func checkNesting() {
        var depths: [String: Int] = [:]
        var onStack: Set<String> = []
        func depth(_ name: String, _ level: Int) -> Int {
            if let known = depths[name] { return known }
            // Deeper than the limit: stop walking, and make the total exceed it.
            guard level <= Self.maximumNestingDepth else { return Self.maximumNestingDepth + 1 }
            guard onStack.insert(name).inserted else { return 0 }
            defer { onStack.remove(name) }
            let result = 1 + (references(of: name).map { depth($0.name, level + 1) }.max() ?? 0)
            if level + result <= Self.maximumNestingDepth { depths[name] = result }
            return result
        }
        for definition in specification.definitions {
            guard case let name? = Self.typeName(of: definition), let location = types[name]?.location else { continue }
            if depth(name, 1) > Self.maximumNestingDepth {
                diagnostics.error(
                    "type '\(name)' nests named types more than \(Self.maximumNestingDepth) levels deep; "
                        + "expected at most \(Self.maximumNestingDepth)",
                    at: location)
                return
            }
        }
    }

    static func typeName(of definition: Definition) -> String? {
        switch definition {
        case .typedef(let d): d.name
        case .enum(let d): d.name
        case .struct(let d): d.name
        case .union(let d): d.name
        case .constant, .program, .passThrough: nil
        }
    }
}
