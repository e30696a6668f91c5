import CrossbitIDL

/// Renders a ``SwiftUnionModel``: the enum, its cases, its decoder and its encoder.
extension SwiftFilePrinter {
    mutating func printUnion(_ union: UnionDefinition) throws(SwiftGeneratorError) {
        let model = try unionModel(union)
        let (access, codec) = (access, codec)
        try inNamespace { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.documentation(model.comment)
            code.line("///")
            code.line("/// IDL: `union \(model.idlName) switch (\(model.idlSwitch))`.")
            try code.block("\(access)enum \(model.name): Sendable, Hashable, XDRCodable") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                for unionCase in model.cases {
                    code.documentation(unionCase.arm.comment)
                    let declared = unionCase.value == nil ? ["discriminant: \(model.discriminant.swiftType)"] : []
                    let payload = declared + (unionCase.payload.map { [$0] } ?? [])
                    let keyword = unionCase.indirect ? "indirect case" : "case"
                    code.line("\(keyword) \(unionCase.name)\(Self.tuple(payload))")
                }
                try Self.renderCodable(access: access, encodeThrows: model.encodeThrows, into: &code) {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    try Self.renderUnionDecoder(model, codec: codec, into: &code)
                } encoder: { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    try Self.renderUnionEncoder(model, codec: codec, into: &code)
                }
            }
        }
    }

    /// `(a, b)`, or nothing for no elements.
    static func tuple(_ elements: [String]) -> String {
        elements.isEmpty ? "" : "(\(elements.joined(separator: ", ")))"
    }

    /// Reads the discriminant, then the arm it selects.
    private static func renderUnionDecoder(
        _ model: SwiftUnionModel, codec: SwiftCodecEmitter, into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        let union = SwiftCodecEmitter.literal(model.idlName)
        code.line("let discriminant = try reader.\(model.discriminant.readCall)()")
        code.line("switch discriminant {")
        for unionCase in model.cases {
            if let value = unionCase.value {
                code.line("case \(value):")
            } else {
                code.line("default:")
                for line in model.discriminant.defaultValue(union: union) { code.line("    " + line) }
            }
            var body = SwiftCodeBuilder()
            var arguments: [String] = unionCase.value == nil ? ["discriminant: value"] : []
            if let type = unionCase.payload {
                body.line("let payload: \(type)")
                let arm = unionCase.arm
                try codec.withPath(SwiftCodecEmitter.field(arm.name), into: &body) {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    try codec.decode(arm.kind, into: "payload", at: arm.location, depth: 1, into: &code)
                }
                arguments.append("payload")
            }
            body.line("self = .\(unionCase.name)\(tuple(arguments))")
            code.appendIndented(body)
        }
        if !model.hasDefault {
            code.line("default:")
            code.line("    throw reader.invalidDiscriminant(Int64(discriminant), union: \(union))")
        }
        code.line("}")
    }

    /// Writes the case's discriminant, then its payload.
    private static func renderUnionEncoder(
        _ model: SwiftUnionModel, codec: SwiftCodecEmitter, into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        code.line("switch self {")
        for unionCase in model.cases {
            let bindings =
                (unionCase.value == nil ? ["let discriminant"] : [])
                + (unionCase.payload == nil ? [] : ["let payload"])
            code.line("case .\(unionCase.name)\(tuple(bindings)):")
            var body = SwiftCodeBuilder()
            if let value = unionCase.value {
                body.line(model.discriminant.writeConstant(value))
            } else {
                body.line(model.discriminant.writeVariable("discriminant"))
            }
            if unionCase.payload != nil {
                try codec.encodeWithPath(unionCase.arm, value: "payload", into: &body)
            }
            code.appendIndented(body)
        }
        code.line("}")
    }
}

extension SwiftCodeBuilder {
    /// Appends lines one level deeper than the current ones.
    mutating func appendIndented(_ other: SwiftCodeBuilder) {
        for text in other.lines { line("    " + text) }
    }
}
