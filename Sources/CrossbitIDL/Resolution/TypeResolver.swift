/// The facts about a checked file's types that every reader of it needs: what a typedef names, what a constant is
/// worth, how a union's discriminant travels, how many elements an array may hold.
///
/// These used to be worked out by each reader on its own (the checker, the Swift generator, the dynamic codec and
/// the broker's plan compiler), and readers that disagree produce peers that disagree on the wire: a discriminant read
/// as signed by one and unsigned by another, a bound clamped by one and refused by another. The resolver answers each
/// question once; ``IDLModule/resolver`` is the one of a checked file (its own types, the built-in ones and those of
/// the `.x` files behind its `%#include`d headers), and the checker builds one over the names it has collected.
public struct TypeResolver: Sendable {
    private let types: [String: TypeDefinition]
    private let values: [String: Int128]

    /// A resolver over named types and the resolved values of constants and enum cases.
    public init(types: [String: TypeDefinition], values: [String: Int128]) {
        self.types = types
        self.values = values
    }

    /// The typedef, enum, struct or union of that name.
    public func definition(ofType name: String) -> TypeDefinition? { types[name] }

    /// The value of a literal, constant or enum case (`TRUE` is 1, `FALSE` 0); nil for a name that is none.
    public func value(of value: Value) -> Int128? {
        switch value {
        case .literal(let number, _): number
        case .name(let name): values[name]
        }
    }

    // MARK: Typedefs

    /// Follows typedefs of plain types (`typedef int count;`) to the type they name; stops at a typedef of an
    /// array, string, opaque or optional, whose name is then the answer.
    public func resolved(_ type: TypeSpecifier) -> TypeSpecifier {
        var type = type
        var seen: Set<String> = []
        while case .named(let name) = type, seen.insert(name).inserted,
            case .typedef(let definition)? = types[name], case .plain(let next) = definition.declaration.kind
        {
            type = next
        }
        return type
    }

    /// The declaration kind with typedef names replaced by what they name, through typedefs of arrays, strings,
    /// opaques and optionals too (`typedef int list<>; list x;` is `int x<>`): the kind a value of it is coded as.
    public func resolved(_ kind: Declaration.Kind) -> Declaration.Kind {
        var kind = kind
        var seen: Set<String> = []
        while case .plain(.named(let name)) = kind, seen.insert(name).inserted,
            case .typedef(let typedef)? = types[name]
        {
            kind = typedef.declaration.kind
        }
        return kind
    }

    // MARK: Sizes

    /// A fixed array's or opaque's element count as code uses it. The checker has put every count between 1 and
    /// `UInt32.max`; clamping keeps a reader of an unchecked value total instead of trapping.
    public func count(_ value: Value) -> Int { Int(clamping: self.value(of: value) ?? 0) }

    /// A variable-length type's maximum length, nil for none (`<>`): the bound every decoder checks a length
    /// against before it allocates. Clamped into `UInt32` as ``count(_:)`` is.
    public func bound(_ value: Value?) -> UInt32? {
        value.map { UInt32(clamping: self.value(of: $0) ?? 0) }
    }

    // MARK: Unions

    /// The kind of a union's discriminant, after typedefs; nil when it is none of the kinds XDR allows (the
    /// checker reports those, so a checked module always has one).
    public func discriminantKind(of union: UnionDefinition) -> DiscriminantKind? {
        guard case .plain(let type) = union.discriminant.kind else { return nil }
        switch resolved(type) {
        case .int: return .int
        case .unsignedInt: return .unsignedInt
        case .bool: return .bool
        case .named(let name):
            guard case .enum(let enumeration)? = types[name] else { return nil }
            return .enumeration(enumeration)
        default: return nil
        }
    }

    /// The union with its discriminant's kind and every case value resolved; nil when the discriminant is of no
    /// allowed kind or a case value names nothing (neither happens in a checked module).
    public func union(_ definition: UnionDefinition) -> ResolvedUnion? {
        guard let discriminant = discriminantKind(of: definition) else { return nil }
        var cases: [ResolvedUnion.Case] = []
        for arm in definition.arms {
            for label in arm.values {
                guard let number = value(of: label) else { return nil }
                cases.append(ResolvedUnion.Case(label: label, value: number, arm: arm))
            }
        }
        return ResolvedUnion(definition: definition, discriminant: discriminant, cases: cases)
    }

    /// The enum case with this value (the first, when several are aliases of it).
    public func enumCase(of definition: EnumDefinition, value: Int128) -> EnumDefinition.Case? {
        definition.cases.first { self.value(of: $0.value) == value }
    }
}

/// The kind of a union's discriminant: one of the four types XDR allows (RFC 4506 section 4.15), after typedefs.
///
/// It decides how the discriminant travels (a signed or an unsigned word; a bool's 0 or 1; an enum's declared
/// values) and which case values the checker accepts.
public enum DiscriminantKind: Sendable, Hashable {
    case int
    case unsignedInt
    case bool
    case enumeration(EnumDefinition)

    /// Whether the word is read as a signed `int` (`int` and enums) rather than an unsigned one (`unsigned int`
    /// and `bool`, whose 0 and 1 are the same either way).
    public var isSigned: Bool {
        switch self {
        case .int, .enumeration: true
        case .unsignedInt, .bool: false
        }
    }

    /// The values a case label may have.
    public var caseRange: ClosedRange<Int128> {
        switch self {
        case .int, .enumeration: Int128(Int32.min)...Int128(Int32.max)
        case .unsignedInt: 0...Int128(UInt32.max)
        case .bool: 0...1
        }
    }
}

/// A union with its discriminant's kind and the value of every case label.
public struct ResolvedUnion: Sendable {
    /// One case label: `case RED:` of an arm shared by `case RED: case GREEN:` is one, `GREEN` another.
    public struct Case: Sendable {
        /// The label as written (a literal, a constant or an enum case).
        public var label: Value
        public var value: Int128
        public var arm: UnionDefinition.Arm
    }

    public let definition: UnionDefinition
    public let discriminant: DiscriminantKind
    /// Every case label in source order.
    public let cases: [Case]

    /// The declaration a discriminant value selects: its case's arm, else the default arm, else nil (the value
    /// is invalid).
    public func arm(for value: Int128) -> Declaration? {
        cases.first { $0.value == value }?.arm.declaration ?? definition.defaultArm
    }

    /// The declarations of every arm, the default arm last.
    public var armDeclarations: [Declaration] {
        definition.arms.map(\.declaration) + (definition.defaultArm.map { [$0] } ?? [])
    }
}
