import CrossbitIDL

extension SwiftFilePrinter {
    /// A procedure as the client and the service see it.
    struct Procedure {
        var definition: ProcedureDefinition
        var method: String
        var number: UInt32
        /// Argument names (`argument`, or `argument1`, `argument2`, ...) and types.
        var arguments: [(name: String, declaration: Declaration, type: String)]
        /// nil for `void`.
        var result: String?

        var nameLiteral: String { SwiftCodecEmitter.literal(definition.name) }
    }

    mutating func printProgram(_ program: ProgramDefinition) throws(SwiftGeneratorError) {
        let programNumber = try uint32(program.number, at: program.location)
        for version in program.versions {
            let versionNumber = try uint32(version.number, at: version.location)
            let methods = SwiftNaming.strippingCommonPrefix(version.procedures.map(\.name))
            var procedures: [Procedure] = []
            for (definition, method) in zip(version.procedures, methods) {
                var arguments: [(String, Declaration, String)] = []
                for (index, argument) in definition.arguments.enumerated() {
                    let name = definition.arguments.count == 1 ? "argument" : "argument\(index + 1)"
                    arguments.append((name, argument, try codec.swiftType(argument.kind, at: argument.location)))
                }
                let result: String? =
                    if case .void = definition.result.kind { nil } else {
                        try codec.swiftType(definition.result.kind, at: definition.result.location)
                    }
                procedures.append(
                    Procedure(
                        definition: definition, method: SwiftNaming.escaped(SwiftNaming.lowerCamel(method)),
                        number: try uint32(definition.number, at: definition.location), arguments: arguments,
                        result: result))
            }
            let base = SwiftNaming.upperCamel(version.name)
            let title =
                "program `\(program.name)` (\(Self.hex(programNumber))) "
                + "version `\(version.name)` (\(versionNumber))"
            let comment = version.comment ?? program.comment
            if options.client {
                try printClient(
                    base + "Client", title: title, comment: comment, program: programNumber,
                    version: versionNumber, procedures: procedures)
            }
            if options.server {
                try printService(
                    base, title: title, comment: comment, program: programNumber,
                    version: versionNumber, procedures: procedures)
            }
        }
    }

    private func uint32(_ value: Value, at location: SourceLocation) throws(SwiftGeneratorError) -> UInt32 {
        let number = try symbols.value(of: value, at: location)
        guard let result = UInt32(exactly: number) else {
            throw SwiftGeneratorError(
                location: location, message: "\(value) = \(number) is not an unsigned 32-bit number")
        }
        return result
    }

    static func hex(_ number: UInt32) -> String { "0x" + String(number, radix: 16, uppercase: true) }

    // MARK: Client

    private mutating func printClient(
        _ name: String, title: String, comment: String?, program: UInt32, version: UInt32, procedures: [Procedure]
    ) throws(SwiftGeneratorError) {
        let access = access
        let codec = codec
        try inNamespace { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.documentation(comment)
            if comment != nil { code.line("///") }
            code.line("/// Client of \(title).")
            code.line("///")
            code.line("/// Arguments are encoded in the transport's layout; safe for concurrent use.")
            try code.block("\(access)struct \(name)<Transport: RPCClientTransport>: Sendable") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                code.line("\(access)static var program: UInt32 { \(Self.hex(program)) }")
                code.line("\(access)static var version: UInt32 { \(version) }")
                code.line()
                code.line("/// The transport calls go through.")
                code.line("\(access)let transport: Transport")
                code.line()
                try code.block("\(access)init(transport: Transport)") {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    code.line("self.transport = transport")
                }
                for procedure in procedures {
                    code.line()
                    try Self.printClientMethod(procedure, access: access, codec: codec, into: &code)
                }
            }
        }
    }

    /// One method of a client: it encodes the arguments and decodes the result inline, with the field path that
    /// an error names, so that a call costs no generic codec dispatch. Apart from `printClient`, which prints the
    /// client's shape, because this is where each procedure's types decide the code.
    private static func printClientMethod(
        _ procedure: Procedure, access: String, codec: SwiftCodecEmitter, into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        code.documentation(procedure.definition.comment)
        let parameters = procedure.arguments.map { "_ \($0.name): \($0.type)" } + ["options: CallOptions = .defaults"]
        let returns = procedure.result.map { " -> \($0)" } ?? ""
        try code.block(
            "\(access)nonisolated(nonsending) func \(procedure.method)"
                + "(\(parameters.joined(separator: ", "))) async throws(RPCError)\(returns)"
        ) { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.line("try await transport.xdrCall(")
            code.line("    ProcedureID(program: Self.program, version: Self.version, procedure: \(procedure.number)),")
            code.line("    name: \(procedure.nameLiteral), options: options,")
            code.line("    encode: { (writer: inout XDRWriter) throws(XDRError) -> Void in")
            var encode = SwiftCodeBuilder()
            for argument in procedure.arguments {
                var declaration = argument.declaration
                declaration.name = argument.name
                try codec.encodeWithPath(declaration, value: argument.name, into: &encode)
            }
            code.appendIndented(SwiftCodeBuilder(indenting: encode, levels: 1))
            code.line("    },")
            code.line("    decode: { (reader: inout XDRReader) throws(XDRError) -> \(procedure.result ?? "Void") in")
            if let result = procedure.result {
                var decode = SwiftCodeBuilder()
                decode.line("let result: \(result)")
                try codec.decode(
                    procedure.definition.result.kind, into: "result",
                    at: procedure.definition.result.location, depth: 1, into: &decode)
                decode.line("return result")
                code.appendIndented(SwiftCodeBuilder(indenting: decode, levels: 1))
            }
            code.line("    })")
        }
    }

    // MARK: Service

    private mutating func printService(
        _ base: String, title: String, comment: String?, program: UInt32, version: UInt32, procedures: [Procedure]
    ) throws(SwiftGeneratorError) {
        let access = access
        let codec = codec
        let hasNull = procedures.contains { $0.number == 0 }
        try inNamespace { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.documentation(comment)
            if comment != nil { code.line("///") }
            code.line("/// The procedures of \(title). Serve an implementation")
            code.line("/// through `\(base)Dispatcher`; calls may run concurrently.")
            try code.block("\(access)protocol \(base)Service: Sendable") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                for (index, procedure) in procedures.enumerated() {
                    if index > 0 { code.line() }
                    code.documentation(procedure.definition.comment)
                    let parameters =
                        procedure.arguments.map { "_ \($0.name): \($0.type)" }
                        + ["context: RPCCallContext"]
                    let returns = procedure.result.map { " -> \($0)" } ?? ""
                    code.line("func \(procedure.method)(\(parameters.joined(separator: ", "))) async throws\(returns)")
                }
            }
            code.line()
            code.line("/// Dispatches encoded calls of \(title) to a `\(base)Service`.")
            try code.block("\(access)struct \(base)Dispatcher<Service: \(base)Service>: RPCServiceDispatcher") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                code.line("\(access)let service: Service")
                code.line("\(access)var program: UInt32 { \(Self.hex(program)) }")
                code.line("\(access)var version: UInt32 { \(version) }")
                code.line()
                try code.block("\(access)init(service: Service)") {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    code.line("self.service = service")
                }
                code.line()
                try code.block(
                    "\(access)nonisolated(nonsending) func dispatch(procedure: UInt32, arguments: [UInt8], "
                        + "context: RPCCallContext) async throws(RPCError) -> [UInt8]"
                ) { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    code.line("switch procedure {")
                    if !hasNull {
                        code.line("case 0:")
                        code.line(
                            "    try XDRDispatch.decodeArguments(arguments, context: context, name: \"NULL\") "
                                + "{ (reader: inout XDRReader) throws(XDRError) -> Void in }")
                        code.line("    return []")
                    }
                    for procedure in procedures {
                        code.line("case \(procedure.number):")
                        code.appendIndented(try Self.dispatchBody(procedure, codec: codec))
                    }
                    code.line("default:")
                    code.line("    throw XDRDispatch.unavailable(procedure, program: program, version: version)")
                    code.line("}")
                }
            }
        }
    }

    private static func dispatchBody(
        _ procedure: Procedure, codec: SwiftCodecEmitter
    ) throws(SwiftGeneratorError)
        -> SwiftCodeBuilder
    {
        var code = SwiftCodeBuilder()
        let names = procedure.arguments.map(\.name)
        let types = procedure.arguments.map(\.type)
        let tuple = names.count == 1 ? names[0] : "(\(names.joined(separator: ", ")))"
        let tupleType = types.count == 1 ? types[0] : "(\(types.joined(separator: ", ")))"
        let decodeCall = "XDRDispatch.decodeArguments(arguments, context: context, name: \(procedure.nameLiteral))"
        if names.isEmpty {
            code.line("try \(decodeCall) { (reader: inout XDRReader) throws(XDRError) -> Void in }")
        } else {
            code.line("let \(tuple) = try \(decodeCall) {")
            var body = SwiftCodeBuilder()
            body.line("(reader: inout XDRReader) throws(XDRError) -> \(tupleType) in")
            for argument in procedure.arguments {
                body.line("let \(argument.name): \(argument.type)")
                try codec.withPath(SwiftCodecEmitter.field(argument.name), into: &body) {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    try codec.decode(
                        argument.declaration.kind, into: argument.name, at: argument.declaration.location,
                        depth: 1, into: &code)
                }
            }
            body.line("return \(tuple)")
            code.appendIndented(body)
            code.line("}")
        }
        let call = "service.\(procedure.method)(\((names + ["context: context"]).joined(separator: ", ")))"
        let handle = "try await XDRDispatch.handle(name: \(procedure.nameLiteral)) { try await \(call) }"
        guard procedure.result != nil else {
            code.line(handle)
            code.line("return []")
            return code
        }
        code.line("let result = \(handle)")
        code.line("return try XDRDispatch.encodeResult(context: context, name: \(procedure.nameLiteral)) {")
        var body = SwiftCodeBuilder()
        body.line("(writer: inout XDRWriter) throws(XDRError) -> Void in")
        var declaration = procedure.definition.result
        declaration.name = "result"
        try codec.encodeWithPath(declaration, value: "result", into: &body)
        code.appendIndented(body)
        code.line("}")
        return code
    }
}

extension SwiftCodeBuilder {
    /// The lines of `other`, `levels` deeper.
    init(indenting other: SwiftCodeBuilder, levels: Int) {
        self.init()
        for text in other.lines { line(String(repeating: "    ", count: levels) + text) }
    }
}
