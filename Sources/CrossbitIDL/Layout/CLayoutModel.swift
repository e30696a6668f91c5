public import CrossbitCore

/// A C scalar as rpcgen writes it into its header, whose size and alignment
/// depend on the data model (`long` and the lowered width-dependent types).
public enum CScalar: Sendable, Hashable {
    case char, unsignedChar, short, unsignedShort, int, unsignedInt, long, unsignedLong
    case hyper, unsignedHyper, float, double
    /// `bool_t`: an `int32_t` holding 0 or 1.
    case bool
    /// An IDL enum: a C `enum`, 4 bytes in both data models.
    case enumeration(String)
    /// Lowered to `int`/`u_int` for ILP32 and `quad_t`/`u_quad_t` for LP64
    /// (`crossbit-idl rpcl`), so it has the width of its C type either way.
    case widthDependent(WidthDependentType)

    /// The size in bytes under `layout`.
    public func size(_ layout: WireLayout) -> Int {
        switch self {
        case .char, .unsignedChar: 1
        case .short, .unsignedShort: 2
        case .int, .unsignedInt, .float, .bool, .enumeration: 4
        case .long, .unsignedLong, .widthDependent: layout == .ilp32 ? 4 : 8
        case .hyper, .unsignedHyper, .double: 8
        }
    }

    /// The alignment gcc gives it as a member: on i386 an 8-byte `quad_t` or
    /// `double` inside a struct is only 4-byte aligned.
    public func alignment(_ layout: WireLayout) -> Int { layout == .ilp32 ? min(size(layout), 4) : size(layout) }

    /// The C spelling in rpcgen's header.
    public func spelling(_ layout: WireLayout) -> String {
        switch self {
        case .char: "char"
        case .unsignedChar: "u_char"
        case .short: "short"
        case .unsignedShort: "u_short"
        case .int: "int"
        case .unsignedInt: "u_int"
        case .long: "long"
        case .unsignedLong: "u_long"
        case .hyper: "quad_t"
        case .unsignedHyper: "u_quad_t"
        case .float: "float"
        case .double: "double"
        case .bool: "bool_t"
        case .enumeration(let name): name
        case .widthDependent(let type):
            switch (layout, type.isSignedOnWire) {
            case (.ilp32, true): "int"
            case (.ilp32, false): "u_int"
            case (.lp64, true): "quad_t"
            case (.lp64, false): "u_quad_t"
            }
        }
    }
}

/// One member of a C struct as gcc lays it out: a struct's field, or a
/// union's discriminant or arm (`NAME_u.arm`, as rpcgen nests the arms).
public struct CMemberLayout: Sendable, Hashable {
    /// What the member's bytes hold.
    public enum Storage: Sendable, Hashable {
        /// A scalar, or a fixed array of them.
        case scalar(CScalar)
        /// A struct or union by value, or a fixed array of them (the IDL type's name).
        case aggregate(String)
        /// `opaque name[N]`: `char name[N]`.
        case bytes
        /// A pointer, or a struct holding one: a string (`char *`), a variable-length
        /// array or opaque (`struct { u_int len; T *val; }`), optional data (`T *`).
        case pointer
    }

    public var name: String
    public var offset: Int
    public var size: Int
    public var alignment: Int
    public var storage: Storage
    /// The number of elements of a fixed array (all dimensions together), nil otherwise.
    public var count: Int?
    /// The member's C type as rpcgen writes it (`u_int`, `char *`, `sample_resource`).
    public var cType: String
    /// Whether the bytes hold a pointer, directly or inside a nested struct:
    /// such a member means nothing in another process.
    public var holdsPointers: Bool
}

/// The C layout of one named IDL type: rpcgen's C type for it.
public struct CTypeLayout: Sendable, Hashable {
    public var name: String
    /// `typedef`, `enum`, `struct` or `union`.
    public var kind: String
    public var size: Int
    public var alignment: Int
    /// A struct's fields; a union's discriminant, then its non-void arms.
    public var members: [CMemberLayout]
    /// A typedef's own shape (a fixed array, say), nil for other kinds.
    public var typedefShape: CMemberLayout?
    public var holdsPointers: Bool
}

/// A type rpcgen's C has no layout for here, and why.
public struct CLayoutProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var type: String
    /// The member path inside the type, empty for the type itself.
    public var path: String
    public var message: String

    public var description: String { path.isEmpty ? "\(type): \(message)" : "\(type).\(path): \(message)" }
}

/// How gcc lays out the C types rpcgen generates from an IDL file, for one data
/// model: ILP32 (`crossbit-idl rpcl --layout ilp32`, `gcc -m32`, i386) or LP64
/// (`--layout lp64`, `gcc -m64`, x86-64).
///
/// It follows the System V psABI of each: a struct's members in order, each at
/// the next multiple of its alignment, the size rounded up to the largest
/// member alignment. Unlike ``LayoutModel`` (XDR bytes on the wire), this is
/// the memory a C program sees, which is what shared memory holds.
public struct CLayoutModel: Sendable {
    public let layout: WireLayout
    /// Every named type that has a C layout, in definition order.
    public let types: [CTypeLayout]
    /// The types that have none (an unknown imported type, `quadruple`).
    public let problems: [CLayoutProblem]
    private let index: [String: Int]

    init(
        specification: Specification, types definitions: [String: TypeDefinition], resolver: TypeResolver,
        layout: WireLayout
    ) {
        var builder = CLayoutBuilder(types: definitions, resolver: resolver, layout: layout)
        var types: [CTypeLayout] = []
        var problems: [CLayoutProblem] = []
        for definition in specification.definitions {
            guard let name = Checker.typeName(of: definition), definitions[name] != nil else { continue }
            do {
                types.append(try builder.typeLayout(name))
            } catch {
                problems.append(error)
            }
        }
        self.layout = layout
        self.types = types
        self.problems = problems
        index = Dictionary(types.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The layout of a named type, nil when it has none.
    public func layout(ofType name: String) -> CTypeLayout? { index[name].map { types[$0] } }

    /// A 64-bit FNV-1a fingerprint of a type's C layouts in both data models:
    /// names, kinds, offsets, sizes and C types of every member, nested
    /// structs included. A region's reader compares it with its own, so a
    /// region written for another type, or another version of this one, is refused.
    public static func fingerprint(ilp32: CLayoutModel, lp64: CLayoutModel, type name: String) -> UInt64? {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ text: String) {
            for byte in text.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            hash = (hash ^ 0xff) &* 0x100_0000_01b3
        }
        var pending = [name]
        var seen: Set<String> = []
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            for model in [ilp32, lp64] {
                guard let type = model.layout(ofType: next) else { return nil }
                add("\(type.kind) \(type.name) \(type.size) \(type.alignment)")
                for member in type.members + (type.typedefShape.map { [$0] } ?? []) {
                    add("\(member.name) \(member.offset) \(member.size) \(member.count ?? 0) \(member.cType)")
                    if case .aggregate(let inner) = member.storage { pending.append(inner) }
                }
            }
        }
        return hash
    }
}

extension IDLModule {
    /// How gcc lays out rpcgen's C types of this file in `layout` (computed on each call).
    public func cLayout(_ layout: WireLayout) -> CLayoutModel {
        CLayoutModel(specification: specification, types: allTypes, resolver: resolver, layout: layout)
    }
}
