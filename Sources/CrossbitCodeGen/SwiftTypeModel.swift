import CrossbitIDL

// The generator works in two steps, as grpc-swift-2's code generator does: it first translates an IDL type into a
// model of the Swift type it will print (names, Swift types, which members are boxed, what can throw, how the
// discriminant travels), then renders the model as text. Every decision is made while translating, from the
// front end's resolved types; the renderers only lay the decisions out (SwiftTypePrinter, SwiftUnionPrinter).

/// A struct as it will be printed.
struct SwiftStructModel {
    /// One stored property.
    struct Field {
        var declaration: Declaration
        /// The property's name, with backticks where it is a keyword.
        var name: String
        /// The local variable it is decoded into and the initializer's parameter name, which never shadow
        /// `self`, the coder or a keyword.
        var local: String
        var type: String
        /// Stored in an `XDRIndirect` box: the field contains its own struct.
        var boxed: Bool

        /// The name as an argument label, which needs no backticks.
        var label: String { name.filter { $0 != "`" } }
    }

    var idlName: String
    var name: String
    var comment: String?
    var fields: [Field]
    var encodeThrows: Bool
}

/// A union as it will be printed: a Swift enum with one case per discriminant value.
struct SwiftUnionModel {
    /// One Swift case: a case label of the IDL, or the default arm (then `value` is nil).
    struct Case {
        var name: String
        var value: Int128?
        var arm: Declaration
        /// The Swift type of the arm's value, nil for a void arm.
        var payload: String?
        /// An `indirect case`: the arm contains the union itself.
        var indirect: Bool
    }

    var idlName: String
    var name: String
    var comment: String?
    /// `int kind`: the `switch (...)` of the IDL, for the documentation.
    var idlSwitch: String
    var discriminant: SwiftDiscriminant
    var cases: [Case]
    var encodeThrows: Bool

    var hasDefault: Bool { cases.contains { $0.value == nil } }
}

/// How a union's discriminant is read and written in Swift, from the front end's ``DiscriminantKind``.
struct SwiftDiscriminant {
    var kind: DiscriminantKind
    /// `Int32`, `UInt32`, `Bool` or the enum's Swift name: the type of the default case's discriminant.
    var swiftType: String

    /// The reader call for the discriminant's word.
    var readCall: String { kind.isSigned ? "readInt32" : "readUInt32" }

    /// Writes the discriminant of a case, given its IDL value.
    func writeConstant(_ value: Int128) -> String {
        switch kind {
        case .int, .enumeration: "writer.writeInt32(\(value))"
        case .unsignedInt: "writer.writeUInt32(\(value))"
        case .bool: "writer.writeBool(\(value != 0))"
        }
    }

    /// Writes a discriminant held in a variable (the default case's).
    func writeVariable(_ name: String) -> String {
        switch kind {
        case .int: "writer.writeInt32(\(name))"
        case .unsignedInt: "writer.writeUInt32(\(name))"
        case .bool: "writer.writeBool(\(name))"
        case .enumeration: "\(name).encode(xdr: &writer)"
        }
    }

    /// Turns the word read into `value` of ``swiftType`` for the default case, refusing words that are none.
    func defaultValue(union: String) -> [String] {
        let invalid = "throw reader.invalidDiscriminant(Int64(discriminant), union: \(union))"
        switch kind {
        case .int, .unsignedInt:
            return ["let value = discriminant"]
        case .bool:
            return ["guard discriminant <= 1 else {", "    \(invalid)", "}", "let value = discriminant == 1"]
        case .enumeration:
            return ["guard let value = \(swiftType)(rawValue: discriminant) else {", "    \(invalid)", "}"]
        }
    }
}

extension SwiftFilePrinter {
    /// Translates a struct into what will be printed.
    func structModel(_ structure: StructDefinition) throws(SwiftGeneratorError) -> SwiftStructModel {
        var fields: [SwiftStructModel.Field] = []
        for declaration in structure.fields {
            let swiftName = SwiftNaming.lowerCamel(declaration.name)
            let shadows = ["reader", "writer", "error"].contains(swiftName) || SwiftNaming.keywords.contains(swiftName)
            var boxed = false
            if case .optional = symbols.resolved(declaration.kind) {
                boxed = symbols.contains(declaration.kind, type: structure.name)
            }
            fields.append(
                SwiftStructModel.Field(
                    declaration: declaration, name: SwiftNaming.escaped(swiftName),
                    local: shadows ? swiftName + "_" : swiftName,
                    type: try codec.swiftType(declaration.kind, at: declaration.location), boxed: boxed))
        }
        return SwiftStructModel(
            idlName: structure.name, name: try symbols.swiftName(structure.name, at: structure.location),
            comment: structure.comment, fields: fields,
            encodeThrows: structure.fields.contains { symbols.encodeThrows($0.kind) })
    }

    /// Translates a union into what will be printed.
    func unionModel(_ union: UnionDefinition) throws(SwiftGeneratorError) -> SwiftUnionModel {
        guard let resolved = symbols.resolver.union(union) else {
            throw SwiftGeneratorError(
                location: union.discriminant.location,
                message: "union \(union.name) needs an int, unsigned int, bool or enum discriminant")
        }
        let swiftType: String =
            switch resolved.discriminant {
            case .int: "Int32"
            case .unsignedInt: "UInt32"
            case .bool: "Bool"
            case .enumeration(let enumeration): try symbols.swiftName(enumeration.name, at: union.location)
            }
        return SwiftUnionModel(
            idlName: union.name, name: try symbols.swiftName(union.name, at: union.location), comment: union.comment,
            idlSwitch: Self.idlSpelling(union.discriminant),
            discriminant: SwiftDiscriminant(kind: resolved.discriminant, swiftType: swiftType),
            cases: try unionCases(resolved),
            encodeThrows: resolved.armDeclarations.contains { symbols.encodeThrows($0.kind) })
    }

    /// One Swift case per case label (arms shared by several labels repeat), then the default arm as
    /// `default(discriminant:...)`.
    private func unionCases(_ union: ResolvedUnion) throws(SwiftGeneratorError) -> [SwiftUnionModel.Case] {
        var cases: [SwiftUnionModel.Case] = []
        var used: Set<String> = []
        func unique(_ name: String, _ value: Int128?) -> String {
            var candidate = name
            if used.contains(candidate) { candidate = name + "_" + Self.numberName(value ?? 0) }
            while used.contains(candidate) { candidate += "_" }
            used.insert(candidate)
            return candidate
        }
        for unionCase in union.cases {
            let name = unique(caseName(unionCase), unionCase.value)
            cases.append(try self.unionCase(name, value: unionCase.value, arm: unionCase.arm.declaration, union))
        }
        if let defaultArm = union.definition.defaultArm {
            cases.append(try unionCase(unique("default", nil), value: nil, arm: defaultArm, union))
        }
        return cases
    }

    /// Named after the enum case or constant of the label, else after the arm (with the value appended when
    /// several labels share it).
    private func caseName(_ unionCase: ResolvedUnion.Case) -> String {
        let arm = unionCase.arm
        switch unionCase.label {
        case .name(let name):
            return symbols.enumCases[name]?.swiftName ?? SwiftNaming.lowerCamel(name)
        case .literal:
            let armName = arm.declaration.name.isEmpty ? "case" : SwiftNaming.lowerCamel(arm.declaration.name)
            let shared = arm.values.count != 1 || arm.declaration.name.isEmpty
            return shared ? armName + Self.numberName(unionCase.value) : armName
        }
    }

    /// A number as part of an identifier: `-1` → `Minus1`.
    static func numberName(_ number: Int128) -> String {
        number < 0 ? "Minus\(-number)" : "\(number)"
    }

    private func unionCase(
        _ name: String, value: Int128?, arm: Declaration, _ union: ResolvedUnion
    )
        throws(SwiftGeneratorError) -> SwiftUnionModel.Case
    {
        let payload: String? = if case .void = arm.kind { nil } else { try codec.swiftType(arm.kind, at: arm.location) }
        return SwiftUnionModel.Case(
            name: SwiftNaming.escaped(name), value: value, arm: arm, payload: payload,
            indirect: symbols.contains(arm.kind, type: union.definition.name))
    }
}
