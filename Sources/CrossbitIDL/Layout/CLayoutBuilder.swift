import CrossbitCore

/// Lays out rpcgen's C types for one data model, memoized per type.
struct CLayoutBuilder {
    let types: [String: TypeDefinition]
    let resolver: TypeResolver
    let layout: WireLayout
    private var done: [String: CTypeLayout] = [:]
    private var visiting: Set<String> = []

    init(types: [String: TypeDefinition], resolver: TypeResolver, layout: WireLayout) {
        self.types = types
        self.resolver = resolver
        self.layout = layout
    }

    /// A pointer's size (and alignment) in this data model.
    private var pointerSize: Int { layout == .ilp32 ? 4 : 8 }

    mutating func typeLayout(_ name: String) throws(CLayoutProblem) -> CTypeLayout {
        if let known = done[name] { return known }
        guard let definition = types[name] else {
            throw CLayoutProblem(type: name, path: "", message: "unknown type (defined only in C)")
        }
        guard visiting.insert(name).inserted else {
            throw CLayoutProblem(type: name, path: "", message: "contains itself by value")
        }
        defer { visiting.remove(name) }
        let result: CTypeLayout
        switch definition {
        case .typedef(let typedef):
            let shape = try member(typedef.declaration, in: name)
            result = CTypeLayout(
                name: name, kind: "typedef", size: shape.size, alignment: shape.alignment, members: [],
                typedefShape: shape, holdsPointers: shape.holdsPointers)
        case .enum:
            result = CTypeLayout(
                name: name, kind: "enum", size: 4, alignment: 4, members: [], typedefShape: nil, holdsPointers: false)
        case .struct(let structure):
            let members = try structure.fields.map { (field) throws(CLayoutProblem) in try member(field, in: name) }
            result = Self.aggregate(name, kind: "struct", members: members)
        case .union(let union):
            result = try unionLayout(union)
        }
        done[name] = result
        return result
    }

    /// rpcgen's `struct NAME { DISCRIMINANT; union { ARMS } NAME_u; }`; void arms are left out.
    private mutating func unionLayout(_ union: UnionDefinition) throws(CLayoutProblem) -> CTypeLayout {
        let discriminant = try member(union.discriminant, in: union.name)
        let declarations = union.arms.map(\.declaration) + (union.defaultArm.map { [$0] } ?? [])
        var arms: [CMemberLayout] = []
        for declaration in declarations {
            if case .void = declaration.kind { continue }
            var arm = try member(declaration, in: union.name)
            arm.name = "\(union.name)_u.\(declaration.name)"
            arms.append(arm)
        }
        let armAlignment = arms.map(\.alignment).max() ?? 1
        let armSize = Self.rounded(arms.map(\.size).max() ?? 0, to: armAlignment)
        let armOffset = Self.rounded(discriminant.size, to: armAlignment)
        for index in arms.indices { arms[index].offset = armOffset }
        let alignment = max(discriminant.alignment, armAlignment)
        return CTypeLayout(
            name: union.name, kind: "union", size: Self.rounded(armOffset + armSize, to: alignment),
            alignment: alignment, members: [discriminant] + arms, typedefShape: nil,
            holdsPointers: arms.contains(where: \.holdsPointers))
    }

    /// Places members in order at the next multiple of their alignment.
    private static func aggregate(_ name: String, kind: String, members unplaced: [CMemberLayout]) -> CTypeLayout {
        var members = unplaced
        var offset = 0
        var alignment = 1
        for index in members.indices {
            offset = rounded(offset, to: members[index].alignment)
            members[index].offset = offset
            offset += members[index].size
            alignment = max(alignment, members[index].alignment)
        }
        return CTypeLayout(
            name: name, kind: kind, size: rounded(offset, to: alignment), alignment: alignment, members: members,
            typedefShape: nil, holdsPointers: members.contains(where: \.holdsPointers))
    }

    private static func rounded(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    /// A declaration's size, alignment and storage (its offset is set by the caller).
    private mutating func member(_ declaration: Declaration, in type: String) throws(CLayoutProblem) -> CMemberLayout {
        let name = declaration.name
        func pointer(_ cType: String, size: Int) -> CMemberLayout {
            CMemberLayout(
                name: name, offset: 0, size: size, alignment: pointerSize, storage: .pointer, count: nil,
                cType: cType, holdsPointers: true)
        }
        switch declaration.kind {
        case .plain(let base):
            return try element(base, spelling: declaration.spelling, name: name, in: type)
        case .fixedArray(let base, let count):
            var shape = try element(base, spelling: declaration.spelling, name: name, in: type)
            let elements = try self.count(count, member: name, in: type)
            let (total, overflow) = shape.size.multipliedReportingOverflow(by: elements)
            guard !overflow else { throw CLayoutProblem(type: type, path: name, message: "array too large") }
            shape.size = total
            shape.count = (shape.count ?? 1) * elements
            shape.cType += "[\(elements)]"
            return shape
        case .fixedOpaque(let count):
            let bytes = try self.count(count, member: name, in: type)
            return CMemberLayout(
                name: name, offset: 0, size: bytes, alignment: 1, storage: .bytes, count: bytes,
                cType: "char[\(bytes)]", holdsPointers: false)
        case .variableArray(let base, _):
            let element = try elementSpelling(base, spelling: declaration.spelling)
            return pointer("struct { u_int len; \(element) *val; }", size: 2 * pointerSize)
        case .variableOpaque:
            return pointer("struct { u_int len; char *val; }", size: 2 * pointerSize)
        case .string:
            return pointer("char *", size: pointerSize)
        case .optional(let base):
            return pointer("\(try elementSpelling(base, spelling: declaration.spelling)) *", size: pointerSize)
        case .void:
            return CMemberLayout(
                name: name, offset: 0, size: 0, alignment: 1, storage: .bytes, count: nil, cType: "void",
                holdsPointers: false)
        }
    }

    /// One element of a plain or fixed-array declaration.
    private mutating func element(
        _ base: TypeSpecifier, spelling: String?, name: String, in type: String
    ) throws(CLayoutProblem) -> CMemberLayout {
        if let scalar = try scalar(base, spelling: spelling, member: name, in: type) {
            return CMemberLayout(
                name: name, offset: 0, size: scalar.size(layout), alignment: scalar.alignment(layout),
                storage: .scalar(scalar), count: nil, cType: scalar.spelling(layout), holdsPointers: false)
        }
        guard case .named(let inner) = base else {
            throw CLayoutProblem(type: type, path: name, message: "no C type")
        }
        let nested: CTypeLayout
        do {
            nested = try typeLayout(inner)
        } catch {
            throw CLayoutProblem(type: type, path: name, message: "\(inner): \(error.message)")
        }
        // A typedef stands for its own shape: `sample_digest d` is `char d[16]`.
        if var shape = nested.typedefShape {
            shape.name = name
            shape.cType = inner
            return shape
        }
        return CMemberLayout(
            name: name, offset: 0, size: nested.size, alignment: nested.alignment, storage: .aggregate(inner),
            count: nil, cType: inner, holdsPointers: nested.holdsPointers)
    }

    /// The scalar a base type is, nil for a named struct, union or typedef.
    private func scalar(
        _ base: TypeSpecifier, spelling: String?, member: String, in type: String
    ) throws(CLayoutProblem) -> CScalar? {
        switch base {
        case .int:
            return switch spelling {
            case "long": .long
            case "short": .short
            case "char": .char
            default: .int
            }
        case .unsignedInt:
            return switch spelling {
            case "u_long", "unsigned long": .unsignedLong
            case "u_short", "unsigned short": .unsignedShort
            case "u_char", "unsigned char": .unsignedChar
            default: .unsignedInt
            }
        case .hyper: return .hyper
        case .unsignedHyper: return .unsignedHyper
        case .float: return .float
        case .double: return .double
        case .bool: return .bool
        case .widthDependent(let width): return .widthDependent(width)
        case .quadruple:
            throw CLayoutProblem(type: type, path: member, message: "rpcgen's C has no type for quadruple")
        case .named(let name):
            if case .enum? = types[name] { return .enumeration(name) }
            return nil
        }
    }

    /// How rpcgen spells an element type behind a pointer.
    private func elementSpelling(_ base: TypeSpecifier, spelling: String?) throws(CLayoutProblem) -> String {
        if case .named(let name) = base { return name }
        return (try? scalar(base, spelling: spelling, member: "", in: ""))?.spelling(layout) ?? base.description
    }

    private func count(_ value: Value, member: String, in type: String) throws(CLayoutProblem) -> Int {
        let number = resolver.value(of: value) ?? -1
        guard number >= 0, number <= Int128(Int32.max) else {
            throw CLayoutProblem(type: type, path: member, message: "array size \(value) is not a usable count")
        }
        return Int(number)
    }
}
