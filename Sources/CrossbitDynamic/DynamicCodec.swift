public import CrossbitCore
public import CrossbitIDL

/// Converts between JSON values and XDR bytes by the types of an IDL module,
/// in either wire layout — the codec behind `crossbit call`. The mapping is
/// described in docs/json-mapping.md.
public struct DynamicCodec: Sendable {
    public let module: IDLModule

    public init(module: IDLModule) {
        self.module = module
    }

    /// The XDR encoding of a value of the named IDL type.
    public func encode(_ value: JSONValue, type: String, layout: WireLayout) throws(DynamicCodecError) -> [UInt8] {
        var encoder = JSONToXDR(module: module, layout: layout)
        try encoder.encode(value, .plain(.named(type)))
        return encoder.writer.finish()
    }

    /// A value of the named IDL type decoded from XDR that must use every byte.
    public func decode(_ bytes: [UInt8], type: String, layout: WireLayout) throws(DynamicCodecError) -> JSONValue {
        try decode(bytes, layout: layout) { decoder throws(DynamicCodecError) in
            try decoder.decode(.plain(.named(type)))
        }
    }

    /// The XDR encoding of a procedure's arguments. `arguments` is a JSON array
    /// of them in order; a single argument may also be given bare, and no
    /// arguments as `null` or `[]`. Error paths start at `arg1`, `arg2`, ….
    public func encodeArguments(
        _ arguments: JSONValue, of procedure: DynamicProcedure, layout: WireLayout
    ) throws(DynamicCodecError) -> [UInt8] {
        let values = try argumentList(arguments, of: procedure)
        var encoder = JSONToXDR(module: module, layout: layout)
        for (index, (value, declaration)) in zip(values, procedure.arguments).enumerated() {
            try encoder.encode(value, declaration.kind, at: "arg\(index + 1)")
        }
        return encoder.writer.finish()
    }

    /// A procedure's result decoded from XDR (`null` for `void`), which must use every byte.
    /// Error paths start at `result`.
    public func decodeResult(
        _ bytes: [UInt8], of procedure: DynamicProcedure, layout: WireLayout
    ) throws(DynamicCodecError) -> JSONValue {
        try decodeResult(bytes, of: procedure, layout: layout, trailingBytes: .refuse).value
    }

    /// A procedure's result decoded from XDR, and how many bytes followed
    /// it: ignored, or refused, as `policy` says (real servers send some).
    public func decodeResult(
        _ bytes: [UInt8], of procedure: DynamicProcedure, layout: WireLayout, trailingBytes policy: TrailingBytesPolicy
    ) throws(DynamicCodecError) -> (value: JSONValue, trailingBytes: Int) {
        var decoder = XDRToJSON(module: module, bytes: bytes, layout: layout)
        let value = try decoder.decode(procedure.result.kind, at: "result")
        let trailing = try decoder.read { reader throws(XDRError) in
            if policy == .refuse { try reader.finish() }
            return reader.remaining
        }
        return (value, trailing)
    }

    private func decode(
        _ bytes: [UInt8], layout: WireLayout, _ body: (inout XDRToJSON) throws(DynamicCodecError) -> JSONValue
    ) throws(DynamicCodecError) -> JSONValue {
        var decoder = XDRToJSON(module: module, bytes: bytes, layout: layout)
        let value = try body(&decoder)
        try decoder.read { reader throws(XDRError) in try reader.finish() }
        return value
    }

    /// Whether a value of this declaration is a JSON array: a fixed or variable array, possibly through
    /// typedefs or optional data.
    private func isArrayShaped(_ kind: Declaration.Kind) -> Bool {
        var kind = module.resolver.resolved(kind)
        if case .optional(let type) = kind { kind = module.resolver.resolved(.plain(type)) }
        switch kind {
        case .fixedArray, .variableArray: return true
        default: return false
        }
    }

    /// One JSON value per argument.
    private func argumentList(
        _ arguments: JSONValue, of procedure: DynamicProcedure
    ) throws(DynamicCodecError) -> [JSONValue] {
        let expected = procedure.arguments.count
        switch (expected, arguments) {
        case (0, .null):
            return []
        case (1, .array(let elements)) where elements.count == 1 && !isArrayShaped(procedure.arguments[0].kind):
            return elements
        case (1, _):
            return [arguments]
        case (_, .array(let elements)):
            guard elements.count == expected else {
                throw DynamicCodecError(.argumentCount(expected: expected, found: elements.count))
            }
            return elements
        default:
            throw DynamicCodecError(
                .typeMismatch(
                    expected: expected == 0 ? "null or [] (no arguments)" : "an array of \(expected) arguments",
                    found: arguments.kindName))
        }
    }
}
