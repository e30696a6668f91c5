public import CrossbitCore

/// A parsed IDL file: its definitions in source order.
public struct Specification: Sendable, Hashable {
    /// The path the file was read from, as given to the front end.
    public var file: String
    public var definitions: [Definition]
    /// The comments at the top of the file that a blank line separates from
    /// the first definition: what the file is, its copyright.
    public var comment: String?

    public init(file: String, definitions: [Definition], comment: String? = nil) {
        self.file = file
        self.definitions = definitions
        self.comment = comment
    }
}

/// One top-level definition of an IDL file.
public enum Definition: Sendable, Hashable {
    case constant(ConstantDefinition)
    case typedef(TypedefDefinition)
    case `enum`(EnumDefinition)
    case `struct`(StructDefinition)
    case union(UnionDefinition)
    case program(ProgramDefinition)
    /// An rpcgen `%` line, its text without the leading `%`.
    case passThrough(String, SourceLocation)
}

/// A value in the IDL: an integer literal or the name of a constant or enum case.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    /// A literal, as written (decimal, `0x` hex or `0` octal, possibly negative).
    case literal(Int128, text: String)
    case name(String)

    public var description: String {
        switch self {
        case .literal(_, let text): text
        case .name(let name): name
        }
    }

    /// The text of a string constant's value (`const NAME = "text";`), without its quotes; nil for a number.
    ///
    /// The parser keeps a string constant as a name that starts with a quote; this is the one place that knows.
    public var stringLiteral: String? {
        guard case .name(let text) = self, text.hasPrefix("\""), text.count >= 2 else { return nil }
        return String(text.dropFirst().dropLast())
    }
}

/// A type specifier: a base type or the name of a defined type.
public enum TypeSpecifier: Sendable, Hashable, CustomStringConvertible {
    /// `int`, `long` (XDR: 4 bytes).
    case int
    /// `unsigned int`, `unsigned long`, `unsigned`, `u_int`, `u_long`.
    case unsignedInt
    case hyper
    case unsignedHyper
    case float
    case double
    case quadruple
    case bool
    /// One of the width-dependent types (`__int3264` is `intptr_t`).
    case widthDependent(WidthDependentType)
    /// A typedef, enum, struct or union, by name (`struct foo` is `foo`).
    case named(String)

    public var description: String {
        switch self {
        case .int: "int"
        case .unsignedInt: "unsigned int"
        case .hyper: "hyper"
        case .unsignedHyper: "unsigned hyper"
        case .float: "float"
        case .double: "double"
        case .quadruple: "quadruple"
        case .bool: "bool"
        case .widthDependent(let type): type.idlName
        case .named(let name): name
        }
    }
}

/// A declaration: a field of a struct, an arm of a union, a typedef, a
/// procedure argument or result (with an empty name there).
public struct Declaration: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `T name`
        case plain(TypeSpecifier)
        /// `T name[N]`
        case fixedArray(TypeSpecifier, count: Value)
        /// `T name<N>` or `T name<>` (nil: no bound).
        case variableArray(TypeSpecifier, maximum: Value?)
        /// `opaque name[N]`
        case fixedOpaque(count: Value)
        /// `opaque name<N>` or `opaque name<>`
        case variableOpaque(maximum: Value?)
        /// `string name<N>` or `string name<>`
        case string(maximum: Value?)
        /// `T *name`
        case optional(TypeSpecifier)
        /// `void`
        case void
    }

    public var name: String
    public var kind: Kind
    public var location: SourceLocation
    /// The comment written just before the declaration, if any.
    public var comment: String?
    /// The base type as written, when it differs from the canonical spelling of
    /// the kind's ``TypeSpecifier`` (`long`, `char`, `u_int`, `unsigned short`, …).
    /// Only the RPC language printer uses it, so that rpcgen sees the original C types.
    public var spelling: String?

    public init(
        name: String, kind: Kind, location: SourceLocation, comment: String? = nil, spelling: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.location = location
        self.comment = comment
        self.spelling = spelling
    }
}

public struct ConstantDefinition: Sendable, Hashable {
    public var name: String
    public var value: Value
    public var location: SourceLocation
    public var comment: String?

    public init(name: String, value: Value, location: SourceLocation, comment: String? = nil) {
        self.name = name
        self.value = value
        self.location = location
        self.comment = comment
    }
}

/// `typedef DECLARATION;` — the declaration's name is the new type's name.
public struct TypedefDefinition: Sendable, Hashable {
    public var declaration: Declaration
    public var comment: String?
    public var name: String { declaration.name }
    public var location: SourceLocation { declaration.location }

    public init(declaration: Declaration, comment: String? = nil) {
        self.declaration = declaration
        self.comment = comment
    }
}

public struct EnumDefinition: Sendable, Hashable {
    public struct Case: Sendable, Hashable {
        public var name: String
        public var value: Value
        public var location: SourceLocation
        public var comment: String?

        public init(name: String, value: Value, location: SourceLocation, comment: String? = nil) {
            self.name = name
            self.value = value
            self.location = location
            self.comment = comment
        }
    }

    public var name: String
    public var cases: [Case]
    public var location: SourceLocation
    public var comment: String?

    public init(name: String, cases: [Case], location: SourceLocation, comment: String? = nil) {
        self.name = name
        self.cases = cases
        self.location = location
        self.comment = comment
    }
}

public struct StructDefinition: Sendable, Hashable {
    public var name: String
    public var fields: [Declaration]
    public var location: SourceLocation
    public var comment: String?

    public init(name: String, fields: [Declaration], location: SourceLocation, comment: String? = nil) {
        self.name = name
        self.fields = fields
        self.location = location
        self.comment = comment
    }
}

public struct UnionDefinition: Sendable, Hashable {
    /// `case V1: case V2: DECLARATION;` — several values may share an arm.
    public struct Arm: Sendable, Hashable {
        public var values: [Value]
        public var declaration: Declaration
        public var location: SourceLocation

        public init(values: [Value], declaration: Declaration, location: SourceLocation) {
            self.values = values
            self.declaration = declaration
            self.location = location
        }
    }

    public var name: String
    /// `switch (DECLARATION)`: `int`, `unsigned int`, `bool` or an enum.
    public var discriminant: Declaration
    public var arms: [Arm]
    /// `default: DECLARATION;`, if present.
    public var defaultArm: Declaration?
    public var location: SourceLocation
    public var comment: String?

    public init(
        name: String, discriminant: Declaration, arms: [Arm], defaultArm: Declaration?,
        location: SourceLocation, comment: String? = nil
    ) {
        self.name = name
        self.discriminant = discriminant
        self.arms = arms
        self.defaultArm = defaultArm
        self.location = location
        self.comment = comment
    }
}

public struct ProgramDefinition: Sendable, Hashable {
    public var name: String
    public var number: Value
    public var versions: [VersionDefinition]
    public var location: SourceLocation
    public var comment: String?

    public init(
        name: String, number: Value, versions: [VersionDefinition], location: SourceLocation,
        comment: String? = nil
    ) {
        self.name = name
        self.number = number
        self.versions = versions
        self.location = location
        self.comment = comment
    }
}

public struct VersionDefinition: Sendable, Hashable {
    public var name: String
    public var number: Value
    public var procedures: [ProcedureDefinition]
    public var location: SourceLocation
    public var comment: String?

    public init(
        name: String, number: Value, procedures: [ProcedureDefinition], location: SourceLocation,
        comment: String? = nil
    ) {
        self.name = name
        self.number = number
        self.procedures = procedures
        self.location = location
        self.comment = comment
    }
}

/// `RESULT NAME(ARG, ...) = NUMBER;` — arguments and result are declarations
/// with empty names; a `void` argument list is empty.
public struct ProcedureDefinition: Sendable, Hashable {
    public var name: String
    public var number: Value
    public var result: Declaration
    public var arguments: [Declaration]
    public var location: SourceLocation
    public var comment: String?

    public init(
        name: String, number: Value, result: Declaration, arguments: [Declaration],
        location: SourceLocation, comment: String? = nil
    ) {
        self.name = name
        self.number = number
        self.result = result
        self.arguments = arguments
        self.location = location
        self.comment = comment
    }
}
