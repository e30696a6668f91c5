import CrossbitCore
public import CrossbitIDL

/// An error generating Swift: a name the input files do not define, a bound
/// out of range, or two names that map to one Swift name.
///
/// It is a front end's `Diagnostic` of severity error, so that `crossbit-idl` prints what the generator
/// refuses as it prints what the checker refuses: `FILE:LINE:COLUMN: error: MESSAGE`.
public struct SwiftGeneratorError: Error, Sendable, CustomStringConvertible {
    /// The error, located in the IDL file that caused it.
    public var diagnostic: Diagnostic

    init(location: SourceLocation, message: String) {
        diagnostic = Diagnostic(.error, at: location, message)
    }

    /// Where in the IDL the generator stopped.
    public var location: SourceLocation { diagnostic.location }
    /// What is wrong, without the location.
    public var message: String { diagnostic.message }
    /// `FILE:LINE:COLUMN: error: MESSAGE`, in `Diagnostic`'s format.
    public var description: String { diagnostic.description }
}

/// The type definitions of every input file, by IDL name, with their Swift
/// names, and the facts code generation asks about them.
struct SwiftSymbols {
    struct TypeEntry {
        var definition: TypeDefinition
        /// The namespace enum of the file that defines it.
        var namespace: String
        var swiftName: String
    }

    struct EnumCase {
        var enumName: String
        var swiftName: String
    }

    /// Types by IDL name, first per namespace (a file's own and imported
    /// types), then across all input files.
    private var namespaces: [String: [String: TypeEntry]] = [:]
    private var global: [String: TypeEntry] = [:]
    private var modules: [String: IDLModule] = [:]
    private(set) var enumCases: [String: EnumCase] = [:]
    /// Types a file uses from a `%#include`d `.x` file that is not among the
    /// inputs: they are generated into the using file's namespace.
    private(set) var imported: [String: [TypeDefinition]] = [:]
    /// The namespace being generated: names from it are not qualified.
    var currentNamespace = ""

    /// The front end's resolved types of the file being generated (with those it imports): what a typedef names,
    /// what a value is, a union's discriminant kind. Swift names and qualification stay here.
    var resolver: TypeResolver { modules[currentNamespace]?.resolver ?? TypeResolver(types: [:], values: [:]) }

    init(modules: [IDLModule]) throws(SwiftGeneratorError) {
        for module in modules {
            let namespace = Self.namespace(forFile: module.specification.file)
            self.modules[namespace] = module
            for definition in module.specification.definitions {
                switch definition {
                case .typedef(let typedef): add(.typedef(typedef), namespace)
                case .enum(let enumeration): add(.enum(enumeration), namespace)
                case .struct(let structure): add(.struct(structure), namespace)
                case .union(let union): add(.union(union), namespace)
                case .constant, .program, .passThrough: break
                }
            }
        }
        for module in modules {
            let namespace = Self.namespace(forFile: module.specification.file)
            var pending = Self.references(module.specification.definitions)
            while let name = pending.popLast() {
                guard global[name] == nil, namespaces[namespace]?[name] == nil,
                    let definition = module.definition(ofType: name)
                else { continue }
                add(definition, namespace)
                imported[namespace, default: []].append(definition)
                pending.append(contentsOf: Self.references([definition.topLevel]).reversed())
            }
        }
        for entry in global.values + namespaces.values.flatMap(\.values) {
            guard case .enum(let enumeration) = entry.definition, enumCases[enumeration.cases.first?.name ?? ""] == nil
            else { continue }
            let names = SwiftNaming.strippingCommonPrefix(enumeration.cases.map(\.name))
            for (enumCase, name) in zip(enumeration.cases, names) {
                enumCases[enumCase.name] = EnumCase(enumName: enumeration.name, swiftName: SwiftNaming.lowerCamel(name))
            }
        }
    }

    private mutating func add(_ definition: TypeDefinition, _ namespace: String) {
        guard namespaces[namespace]?[definition.name] == nil else { return }
        var swiftName = SwiftNaming.upperCamel(definition.name)
        if SwiftNaming.reservedTypeNames.contains(swiftName) || swiftName == namespace { swiftName += "_" }
        let entry = TypeEntry(definition: definition, namespace: namespace, swiftName: swiftName)
        namespaces[namespace, default: [:]][definition.name] = entry
        if global[definition.name] == nil { global[definition.name] = entry }
    }

    /// The type names definitions use, in source order.
    private static func references(_ definitions: [Definition]) -> [String] {
        var declarations: [Declaration] = []
        for definition in definitions {
            switch definition {
            case .typedef(let typedef): declarations.append(typedef.declaration)
            case .struct(let structure): declarations += structure.fields
            case .union(let union):
                declarations += [union.discriminant] + union.armDeclarations
            case .program(let program):
                for procedure in program.versions.flatMap(\.procedures) {
                    declarations += [procedure.result] + procedure.arguments
                }
            case .enum, .constant, .passThrough: break
            }
        }
        return declarations.reversed().compactMap { declaration in
            switch declaration.kind {
            case .plain(.named(let name)), .optional(.named(let name)), .fixedArray(.named(let name), _),
                .variableArray(.named(let name), _):
                name
            default: nil
            }
        }
    }

    /// `crossbit_sample.x` → `CrossbitSample`.
    static func namespace(forFile file: String) -> String {
        SwiftNaming.upperCamel(baseName(file))
    }

    /// The file name without its folders and `.x` extension.
    static func baseName(_ file: String) -> String {
        var base = String(file.split(separator: "/").last ?? Substring(file))
        if base.hasSuffix(".x") { base.removeLast(2) }
        return base
    }

    func entry(_ name: String, at location: SourceLocation) throws(SwiftGeneratorError) -> TypeEntry {
        guard let entry = namespaces[currentNamespace]?[name] ?? global[name] else {
            throw SwiftGeneratorError(location: location, message: "undefined type '\(name)'")
        }
        return entry
    }

    func definition(_ name: String) -> TypeDefinition? {
        (namespaces[currentNamespace]?[name] ?? global[name])?.definition
    }

    /// The Swift name of a defined type, qualified when another file defines it.
    func swiftName(_ name: String, at location: SourceLocation) throws(SwiftGeneratorError) -> String {
        let entry = try entry(name, at: location)
        return entry.namespace == currentNamespace ? entry.swiftName : "\(entry.namespace).\(entry.swiftName)"
    }

    // MARK: Values

    func value(of value: Value, at location: SourceLocation) throws(SwiftGeneratorError) -> Int128 {
        guard let number = resolver.value(of: value) else {
            throw SwiftGeneratorError(location: location, message: "undefined constant '\(value)'")
        }
        return number
    }

    /// A length bound as a Swift literal (`nil` when unbounded).
    func bound(_ value: Value?, at location: SourceLocation) throws(SwiftGeneratorError) -> String {
        guard let value else { return "nil" }
        let number = try self.value(of: value, at: location)
        guard number >= 0, number <= Int128(UInt32.max) else {
            throw SwiftGeneratorError(location: location, message: "bound \(value) = \(number) is not a 32-bit length")
        }
        return String(number)
    }

    func count(_ value: Value, at location: SourceLocation) throws(SwiftGeneratorError) -> Int {
        let number = try self.value(of: value, at: location)
        guard number >= 0, number <= Int128(Int32.max) else {
            throw SwiftGeneratorError(location: location, message: "size \(value) = \(number) is out of range")
        }
        return Int(number)
    }

    // MARK: Type facts

    /// The declaration kind with typedef names replaced by what they name.
    func resolved(_ kind: Declaration.Kind) -> Declaration.Kind { resolver.resolved(kind) }

    /// Whether encoding can fail: narrowing, or a length or count to check.
    func encodeThrows(_ kind: Declaration.Kind) -> Bool {
        var visiting: Set<String> = []
        return encodeThrows(kind, visiting: &visiting)
    }

    private func encodeThrows(_ kind: Declaration.Kind, visiting: inout Set<String>) -> Bool {
        switch resolved(kind) {
        case .plain(let type), .optional(let type):
            return encodeThrows(type, visiting: &visiting)
        case .fixedArray, .variableArray, .fixedOpaque, .variableOpaque, .string:
            return true
        case .void:
            return false
        }
    }

    private func encodeThrows(_ type: TypeSpecifier, visiting: inout Set<String>) -> Bool {
        switch type {
        case .widthDependent(let width): return width != .handleT
        case .named(let name):
            guard visiting.insert(name).inserted else { return true }
            defer { visiting.remove(name) }
            switch definition(name) {
            case .struct(let structure)?:
                return structure.fields.contains { encodeThrows($0.kind, visiting: &visiting) }
            case .union(let union)?:
                let arms = union.armDeclarations
                return arms.contains { encodeThrows($0.kind, visiting: &visiting) }
            case .typedef(let typedef)?:
                return encodeThrows(typedef.declaration.kind, visiting: &visiting)
            case .enum?, nil:
                return false
            }
        default: return false
        }
    }

    /// A lower bound of the encoded size, used to bound array lengths by
    /// the bytes left before allocating.
    func minimumSize(_ kind: Declaration.Kind) -> Int {
        var visiting: Set<String> = []
        return min(minimumSize(kind, visiting: &visiting), 1 << 20)
    }

    private func minimumSize(_ kind: Declaration.Kind, visiting: inout Set<String>) -> Int {
        switch resolved(kind) {
        case .plain(let type): return minimumSize(type, visiting: &visiting)
        case .fixedArray(let type, let count):
            let elements = (try? self.count(count, at: SourceLocation(file: "", line: 0, column: 0))) ?? 0
            return min(elements * minimumSize(type, visiting: &visiting), 1 << 20)
        case .fixedOpaque(let count):
            return (((try? self.count(count, at: SourceLocation(file: "", line: 0, column: 0))) ?? 0) + 3) & ~3
        case .variableArray, .variableOpaque, .string, .optional: return 4
        case .void: return 0
        }
    }

    private func minimumSize(_ type: TypeSpecifier, visiting: inout Set<String>) -> Int {
        switch type {
        case .hyper, .unsignedHyper, .double: return 8
        case .quadruple: return 16
        case .int, .unsignedInt, .float, .bool, .widthDependent: return 4
        case .named(let name):
            guard visiting.insert(name).inserted else { return 4 }
            defer { visiting.remove(name) }
            switch definition(name) {
            case .struct(let structure)?:
                return min(structure.fields.reduce(0) { $0 + minimumSize($1.kind, visiting: &visiting) }, 1 << 20)
            case .union(let union)?:
                let arms = union.armDeclarations
                return 4 + (arms.map { minimumSize($0.kind, visiting: &visiting) }.min() ?? 0)
            case .typedef(let typedef)?:
                return minimumSize(typedef.declaration.kind, visiting: &visiting)
            case .enum?, nil:
                return 4
            }
        }
    }

    /// Whether a value of `kind` contains, by value (not through an array),
    /// a value of type `target`: such a member must be boxed.
    func contains(_ kind: Declaration.Kind, type target: String) -> Bool {
        var visited: Set<String> = []
        return contains(kind, target: target, visited: &visited)
    }

    private func contains(_ kind: Declaration.Kind, target: String, visited: inout Set<String>) -> Bool {
        switch resolved(kind) {
        case .plain(.named(let name)), .optional(.named(let name)):
            if name == target { return true }
            guard visited.insert(name).inserted else { return false }
            switch definition(name) {
            case .struct(let structure)?:
                return structure.fields.contains { contains($0.kind, target: target, visited: &visited) }
            case .union(let union)?:
                let arms = union.armDeclarations
                return arms.contains { contains($0.kind, target: target, visited: &visited) }
            case .typedef(let typedef)?:
                return contains(typedef.declaration.kind, target: target, visited: &visited)
            case .enum?, nil:
                return false
            }
        default:
            return false
        }
    }
}

extension UnionDefinition {
    /// The declarations of every arm, the default arm last.
    var armDeclarations: [Declaration] {
        arms.map(\.declaration) + (defaultArm.map { [$0] } ?? [])
    }
}

extension TypeDefinition {
    /// The definition as it appears at the top level of a file.
    var topLevel: Definition {
        switch self {
        case .typedef(let typedef): .typedef(typedef)
        case .enum(let enumeration): .enum(enumeration)
        case .struct(let structure): .struct(structure)
        case .union(let union): .union(union)
        }
    }
}
