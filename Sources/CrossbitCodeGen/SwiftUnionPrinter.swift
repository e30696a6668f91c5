import CrossbitIDL

extension SwiftFilePrinter {
    /// How a union's discriminant is read and written.
    enum Discriminant {
        case signed, unsigned, bool
        case enumeration(String)

        var swiftType: String {
            switch self {
            case .signed: "Int32"
            case .unsigned: "UInt32"
            case .bool: "Bool"
            case .enumeration(let name): name
            }
        }

        /// Writes the discriminant of an arm, given its IDL value.
        func writeConstant(_ value: Int128) -> String {
            switch self {
            case .signed, .enumeration: "writer.writeInt32(\(value))"
            case .unsigned: "writer.writeUInt32(\(value))"
            case .bool: "writer.writeBool(\(value != 0))"
            }
        }

        /// Writes a discriminant held in a variable (the default arm's).
        func writeVariable(_ name: String) -> String {
            switch self {
            case .signed: "writer.writeInt32(\(name))"
            case .unsigned: "writer.writeUInt32(\(name))"
            case .bool: "writer.writeBool(\(name))"
            case .enumeration: "\(name).encode(xdr: &writer)"
            }
        }
    }

    struct UnionCase {
        var name: String
        var value: Int128?
        var arm: Declaration
        var payload: String?
        var indirect: Bool
    }

    mutating func printUnion(_ union: UnionDefinition) throws(SwiftGeneratorError) {
        let name = try symbols.swiftName(union.name, at: union.location)
        let discriminant: Discriminant
        switch symbols.resolved(discriminantType(union)) {
        case .int: discriminant = .signed
        case .unsignedInt: discriminant = .unsigned
        case .bool: discriminant = .bool
        case .named(let enumName) where isEnum(enumName):
            discriminant = .enumeration(try symbols.swiftName(enumName, at: union.location))
        default:
            throw SwiftGeneratorError(
                location: union.discriminant.location,
                message: "union \(union.name) needs an int, unsigned int, bool or enum discriminant")
        }
        let cases = try unionCases(union)
        let encodeThrows = union.armDeclarations
            .contains { symbols.encodeThrows($0.kind) }
        let access = access
        let codec = codec
        let unionName = SwiftCodecEmitter.literal(union.name)
        try inNamespace { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.documentation(union.comment)
            code.line("///")
            code.line("/// IDL: `union \(union.name) switch (\(Self.idlSpelling(union.discriminant)))`.")
            try code.block("\(access)enum \(name): Sendable, Hashable, XDRCodable") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                for unionCase in cases {
                    code.documentation(unionCase.arm.comment)
                    let prefix = unionCase.indirect ? "indirect case" : "case"
                    var payload: [String] = unionCase.value == nil ? ["discriminant: \(discriminant.swiftType)"] : []
                    if let type = unionCase.payload { payload.append(type) }
                    let suffix = payload.isEmpty ? "" : "(\(payload.joined(separator: ", ")))"
                    code.line("\(prefix) \(unionCase.name)\(suffix)")
                }
                code.line()
                try code.block("\(access)init(xdr reader: inout XDRReader) throws(XDRError)") {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    let read = discriminant.swiftType == "Int32" || discriminant.isEnumeration ? "readInt32" : "readUInt32"
                    code.line("let discriminant = try reader.\(read)()")
                    code.line("switch discriminant {")
                    for unionCase in cases {
                        if let value = unionCase.value {
                            code.line("case \(value):")
                        } else {
                            code.line("default:")
                            switch discriminant {
                            case .signed, .unsigned:
                                code.line("    let value = discriminant")
                            case .bool:
                                code.line("    guard discriminant <= 1 else {")
                                code.line("        throw reader.invalidDiscriminant(Int64(discriminant), union: \(unionName))")
                                code.line("    }")
                                code.line("    let value = discriminant == 1")
                            case .enumeration(let enumType):
                                code.line("    guard let value = \(enumType)(rawValue: discriminant) else {")
                                code.line("        throw reader.invalidDiscriminant(Int64(discriminant), union: \(unionName))")
                                code.line("    }")
                            }
                        }
                        var body = SwiftCodeBuilder()
                        var arguments: [String] = unionCase.value == nil ? ["discriminant: value"] : []
                        if let type = unionCase.payload {
                            body.line("let payload: \(type)")
                            try codec.withPath(SwiftCodecEmitter.field(unionCase.arm.name), into: &body) {
                                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                                try codec.decode(
                                    unionCase.arm.kind, into: "payload", at: unionCase.arm.location, depth: 1, into: &code)
                            }
                            arguments.append("payload")
                        }
                        let suffix = arguments.isEmpty ? "" : "(\(arguments.joined(separator: ", ")))"
                        body.line("self = .\(unionCase.name)\(suffix)")
                        code.appendIndented(body)
                    }
                    if !cases.contains(where: { $0.value == nil }) {
                        code.line("default:")
                        code.line("    throw reader.invalidDiscriminant(Int64(discriminant), union: \(unionName))")
                    }
                    code.line("}")
                }
                code.line()
                let throwsClause = encodeThrows ? " throws(XDRError)" : ""
                try code.block("\(access)func encode(xdr writer: inout XDRWriter)\(throwsClause)") {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    code.line("switch self {")
                    for unionCase in cases {
                        var bindings: [String] = unionCase.value == nil ? ["let discriminant"] : []
                        if unionCase.payload != nil { bindings.append("let payload") }
                        let suffix = bindings.isEmpty ? "" : "(\(bindings.joined(separator: ", ")))"
                        code.line("case .\(unionCase.name)\(suffix):")
                        var body = SwiftCodeBuilder()
                        if let value = unionCase.value {
                            body.line(discriminant.writeConstant(value))
                        } else {
                            body.line(discriminant.writeVariable("discriminant"))
                        }
                        if unionCase.payload != nil {
                            try codec.encodeWithPath(unionCase.arm, value: "payload", into: &body)
                        }
                        code.appendIndented(body)
                    }
                    code.line("}")
                }
            }
        }
    }

    private func discriminantType(_ union: UnionDefinition) -> TypeSpecifier {
        if case .plain(let type) = union.discriminant.kind { return type }
        return .int
    }

    private func isEnum(_ name: String) -> Bool {
        if case .enum? = symbols.definition(name) { return true }
        return false
    }

    /// One Swift case per discriminant value (arms shared by several values
    /// repeat), then the default arm as `default(discriminant:...)`.
    private func unionCases(_ union: UnionDefinition) throws(SwiftGeneratorError) -> [UnionCase] {
        var cases: [UnionCase] = []
        var used: Set<String> = []
        func unique(_ name: String, _ value: Int128?) -> String {
            var candidate = name
            if used.contains(candidate) { candidate = name + "_" + Self.numberName(value ?? 0) }
            while used.contains(candidate) { candidate += "_" }
            used.insert(candidate)
            return candidate
        }
        for arm in union.arms {
            for value in arm.values {
                let number = try symbols.value(of: value, at: arm.location)
                var base: String
                switch value {
                case .name(let name):
                    base = symbols.enumCases[name]?.swiftName ?? SwiftNaming.lowerCamel(name)
                case .literal:
                    let armName = arm.declaration.name.isEmpty ? "case" : SwiftNaming.lowerCamel(arm.declaration.name)
                    base = arm.values.count == 1 && !arm.declaration.name.isEmpty
                        ? armName : armName + Self.numberName(number)
                }
                cases.append(try unionCase(unique(base, number), value: number, arm: arm.declaration, union: union))
            }
        }
        if let defaultArm = union.defaultArm {
            cases.append(try unionCase(unique("default", nil), value: nil, arm: defaultArm, union: union))
        }
        return cases
    }

    /// A number as part of an identifier: `-1` → `Minus1`.
    static func numberName(_ number: Int128) -> String {
        number < 0 ? "Minus\(-number)" : "\(number)"
    }

    private func unionCase(_ name: String, value: Int128?, arm: Declaration, union: UnionDefinition)
        throws(SwiftGeneratorError) -> UnionCase
    {
        let payload: String? = if case .void = arm.kind { nil } else { try codec.swiftType(arm.kind, at: arm.location) }
        return UnionCase(
            name: SwiftNaming.escaped(name), value: value, arm: arm, payload: payload,
            indirect: symbols.contains(arm.kind, type: union.name))
    }
}

extension SwiftFilePrinter.Discriminant {
    var isEnumeration: Bool {
        if case .enumeration = self { return true }
        return false
    }
}

extension SwiftCodeBuilder {
    /// Appends lines one level deeper than the current ones.
    mutating func appendIndented(_ other: SwiftCodeBuilder) {
        for text in other.lines { line("    " + text) }
    }
}
