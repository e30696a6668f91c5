public import CrossbitCore

/// A wire size in both layouts; nil means variable.
public struct WireSizes: Sendable, Hashable {
    public var ilp32: Int?
    public var lp64: Int?

    public init(ilp32: Int?, lp64: Int?) {
        self.ilp32 = ilp32
        self.lp64 = lp64
    }

    public subscript(layout: WireLayout) -> Int? {
        switch layout {
        case .ilp32: ilp32
        case .lp64: lp64
        }
    }
}

/// The layout of one named type.
public struct TypeLayout: Sendable, Hashable {
    public var name: String
    /// `typedef`, `enum`, `struct` or `union`.
    public var kind: String
    public var size: WireSizes
    /// Paths of the width-dependent values inside (see ``LayoutModel``).
    public var widthDependentPaths: [String]
    public var isWidthDependent: Bool { !widthDependentPaths.isEmpty }
}

/// The layout of one procedure of one program version.
public struct ProcedureLayout: Sendable, Hashable {
    public var program: String
    public var programNumber: UInt32
    public var version: String
    public var versionNumber: UInt32
    public var name: String
    public var number: UInt32
    /// All arguments together, as they follow each other on the wire.
    public var argumentSize: WireSizes
    public var resultSize: WireSizes
    /// Paths under `arg1`, `arg2`, … (or the argument's name, if it has one).
    public var argumentPaths: [String]
    /// Paths under `result`.
    public var resultPaths: [String]
    /// Whether arguments or result hold any width-dependent value; calls of
    /// other procedures are the same bytes in both layouts.
    public var isWidthDependent: Bool { !argumentPaths.isEmpty || !resultPaths.isEmpty }
}

/// For each type and procedure: the wire size in ILP32 and LP64 (or that it
/// is variable) and the paths of its width-dependent values.
///
/// A path names a value from the outside in: `buf.len` (field `len` of field
/// `buf`), `items[].h` (field `h` of every element of array `items`),
/// `next->size` (field `size` of the optional `next`, when present). The empty
/// path is the value itself (a typedef of `size_t`). A recursive type reached
/// again is written `(NAME)`: `next->(node)` means "the paths of `node` again".
/// A type with more than ``maximumPaths`` paths lists that many and then `…`.
public struct LayoutModel: Sendable {
    public static let maximumPaths = 256

    /// Every named type, in definition order.
    public let types: [TypeLayout]
    /// Every procedure, in definition order.
    public let procedures: [ProcedureLayout]
    private let typeIndex: [String: Int]

    init(specification: Specification, types definitions: [String: TypeDefinition], resolver: TypeResolver) {
        var builder = Builder(types: definitions, resolver: resolver)
        var types: [TypeLayout] = []
        var procedures: [ProcedureLayout] = []
        for definition in specification.definitions {
            if let name = Checker.typeName(of: definition), let type = definitions[name] {
                types.append(builder.typeLayout(type))
            }
            guard case .program(let program) = definition else { continue }
            for version in program.versions {
                for procedure in version.procedures {
                    procedures.append(
                        builder.procedureLayout(procedure, version: version, program: program))
                }
            }
        }
        self.types = types
        self.procedures = procedures
        typeIndex = Dictionary(types.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The wire size of a named type, nil if variable (or unknown).
    public func wireSize(ofType name: String, in layout: WireLayout) -> Int? {
        typeIndex[name].flatMap { types[$0].size[layout] }
    }

    /// The paths of the width-dependent values of a named type.
    public func widthDependentPaths(ofType name: String) -> [String] {
        typeIndex[name].map { types[$0].widthDependentPaths } ?? []
    }

    /// Whether a named type holds any width-dependent value.
    public func isWidthDependent(type name: String) -> Bool { !widthDependentPaths(ofType: name).isEmpty }

    /// The layout of a named type.
    public func layout(ofType name: String) -> TypeLayout? { typeIndex[name].map { types[$0] } }

    /// The layout of a procedure by numbers.
    public func procedure(program: UInt32, version: UInt32, procedure: UInt32) -> ProcedureLayout? {
        procedures.first { $0.programNumber == program && $0.versionNumber == version && $0.number == procedure }
    }

    /// Whether the procedure's arguments or result hold any width-dependent value
    /// (false for unknown procedures).
    public func isWidthDependent(program: UInt32, version: UInt32, procedure: UInt32) -> Bool {
        self.procedure(program: program, version: version, procedure: procedure)?.isWidthDependent ?? false
    }
}

/// Computes sizes and paths, memoized per type.
private struct Builder {
    let types: [String: TypeDefinition]
    let resolver: TypeResolver
    private var sizes: [WireLayout: [String: Int?]] = [:]
    private var paths: [String: [String]] = [:]
    private var visiting: [String] = []

    init(types: [String: TypeDefinition], resolver: TypeResolver) {
        self.types = types
        self.resolver = resolver
    }

    mutating func typeLayout(_ definition: TypeDefinition) -> TypeLayout {
        let kind =
            switch definition {
            case .typedef: "typedef"
            case .enum: "enum"
            case .struct: "struct"
            case .union: "union"
            }
        return TypeLayout(
            name: definition.name, kind: kind,
            size: WireSizes(ilp32: size(ofType: definition.name, .ilp32), lp64: size(ofType: definition.name, .lp64)),
            widthDependentPaths: typePaths(definition.name))
    }

    mutating func procedureLayout(
        _ procedure: ProcedureDefinition, version: VersionDefinition, program: ProgramDefinition
    ) -> ProcedureLayout {
        func argumentsSize(_ layout: WireLayout) -> Int? {
            procedure.arguments.reduce(Int?(0)) { total, argument in
                guard let total, let size = size(of: argument.kind, layout) else { return nil }
                return total + size
            }
        }
        var argumentPaths: [String] = []
        for (index, argument) in procedure.arguments.enumerated() {
            argumentPaths += paths(of: argument.kind, prefix: argument.name.isEmpty ? "arg\(index + 1)" : argument.name)
        }
        return ProcedureLayout(
            program: program.name, programNumber: number(program.number), version: version.name,
            versionNumber: number(version.number), name: procedure.name, number: number(procedure.number),
            argumentSize: WireSizes(ilp32: argumentsSize(.ilp32), lp64: argumentsSize(.lp64)),
            resultSize: WireSizes(
                ilp32: size(of: procedure.result.kind, .ilp32), lp64: size(of: procedure.result.kind, .lp64)),
            argumentPaths: Self.capped(argumentPaths),
            resultPaths: Self.capped(paths(of: procedure.result.kind, prefix: "result")))
    }

    private func number(_ value: Value) -> UInt32 { UInt32(truncatingIfNeeded: resolver.value(of: value) ?? 0) }

    private func count(_ value: Value) -> Int { resolver.count(value) }

    // MARK: Sizes

    private static func size(of type: TypeSpecifier, _ layout: WireLayout) -> Int? {
        switch type {
        case .int, .unsignedInt, .float, .bool: 4
        case .hyper, .unsignedHyper, .double: 8
        case .quadruple: 16
        case .widthDependent: layout.widthDependentSize
        case .named: nil
        }
    }

    private mutating func size(of type: TypeSpecifier, _ layout: WireLayout) -> Int? {
        if case .named(let name) = type { return size(ofType: name, layout) }
        return Self.size(of: type, layout)
    }

    mutating func size(of kind: Declaration.Kind, _ layout: WireLayout) -> Int? {
        switch kind {
        case .plain(let type):
            return size(of: type, layout)
        case .fixedArray(let type, let count):
            guard let element = size(of: type, layout) else { return nil }
            let (total, overflow) = element.multipliedReportingOverflow(by: self.count(count))
            return overflow ? nil : total
        case .fixedOpaque(let count):
            let bytes = self.count(count)
            return bytes > Int.max - 3 ? nil : (bytes + 3) / 4 * 4
        case .variableArray, .variableOpaque, .string, .optional:
            return nil
        case .void:
            return 0
        }
    }

    private mutating func size(ofType name: String, _ layout: WireLayout) -> Int? {
        if let known = sizes[layout]?[name] { return known }
        guard let definition = types[name], !visiting.contains(name) else { return nil }
        visiting.append(name)
        defer { visiting.removeLast() }
        let result: Int?
        switch definition {
        case .typedef(let typedef):
            result = size(of: typedef.declaration.kind, layout)
        case .enum:
            result = 4
        case .struct(let structure):
            var total: Int? = 0
            for field in structure.fields {
                guard let sum = total, let field = size(of: field.kind, layout) else {
                    total = nil
                    break
                }
                let (next, overflow) = sum.addingReportingOverflow(field)
                total = overflow ? nil : next
            }
            result = total
        case .union(let union):
            // Fixed only if every arm has the same fixed size.
            let arms = union.arms.map(\.declaration) + (union.defaultArm.map { [$0] } ?? [])
            let armSizes = arms.map { size(of: $0.kind, layout) }
            if let first = armSizes.first, let size = first, armSizes.allSatisfy({ $0 == size }),
                let discriminant = self.size(of: union.discriminant.kind, layout)
            {
                result = discriminant + size
            } else {
                result = nil
            }
        }
        sizes[layout, default: [:]][name] = .some(result)
        return result
    }

    // MARK: Paths

    private static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty || prefix.hasSuffix("->") ? prefix + name : prefix + "." + name
    }

    private static func capped(_ paths: [String]) -> [String] {
        paths.count > LayoutModel.maximumPaths ? Array(paths.prefix(LayoutModel.maximumPaths)) + ["…"] : paths
    }

    private mutating func paths(of kind: Declaration.Kind, prefix: String) -> [String] {
        let element: TypeSpecifier
        var prefix = prefix
        switch kind {
        case .plain(let type):
            element = type
        case .fixedArray(let type, _), .variableArray(let type, _):
            element = type
            prefix += "[]"
        case .optional(let type):
            element = type
            // Optional data at the root of a type (a typedef of `T *`) is implied.
            prefix = prefix.isEmpty ? "" : prefix + "->"
        case .fixedOpaque, .variableOpaque, .string, .void:
            return []
        }
        switch element {
        case .widthDependent:
            return [prefix.hasSuffix("->") ? String(prefix.dropLast(2)) : prefix]
        case .named(let name):
            if visiting.contains(name) {
                guard isWidthDependent(name) else { return [] }
                return [prefix + (prefix.isEmpty || prefix.hasSuffix("->") ? "" : ".") + "(\(name))"]
            }
            let inner = typePaths(name)
            return inner.map { path in
                guard path.isEmpty else { return Self.join(prefix, path) }
                return prefix.hasSuffix("->") ? String(prefix.dropLast(2)) : prefix
            }
        default:
            return []
        }
    }

    /// Whether a type reaches a width-dependent value through any references.
    private func isWidthDependent(_ name: String) -> Bool {
        var seen: Set<String> = [name]
        var work = [name]
        while let next = work.popLast() {
            guard let definition = types[next] else { continue }
            let declarations: [Declaration] =
                switch definition {
                case .typedef(let typedef): [typedef.declaration]
                case .enum: []
                case .struct(let structure): structure.fields
                case .union(let union): union.arms.map(\.declaration) + (union.defaultArm.map { [$0] } ?? [])
                }
            for declaration in declarations {
                switch declaration.kind {
                case .plain(let type), .fixedArray(let type, _), .variableArray(let type, _), .optional(let type):
                    if case .widthDependent = type { return true }
                    if case .named(let child) = type, seen.insert(child).inserted { work.append(child) }
                default:
                    break
                }
            }
        }
        return false
    }

    private mutating func typePaths(_ name: String) -> [String] {
        if let known = paths[name] { return known }
        guard let definition = types[name] else { return [] }
        visiting.append(name)
        defer { visiting.removeLast() }
        var result: [String] = []
        switch definition {
        case .typedef(let typedef):
            result = paths(of: typedef.declaration.kind, prefix: "")
        case .enum:
            break
        case .struct(let structure):
            for field in structure.fields where result.count <= LayoutModel.maximumPaths {
                result += paths(of: field.kind, prefix: field.name)
            }
        case .union(let union):
            for arm in union.arms.map(\.declaration) + (union.defaultArm.map { [$0] } ?? [])
            where result.count <= LayoutModel.maximumPaths {
                result += paths(of: arm.kind, prefix: arm.name)
            }
        }
        result = Self.capped(result)
        // Paths cut at a recursion depend on where the walk began: keep only whole ones.
        if !result.contains(where: { $0.contains("(") }) { paths[name] = result }
        return result
    }
}
