import CrossbitCore
import CrossbitIDL

/// Emits straight-line encoding and decoding statements for a declaration:
/// one runtime call per primitive, loops for arrays, and the field path
/// added to errors by `do`/`catch` only where something can throw.
struct SwiftCodecEmitter {
    let symbols: SwiftSymbols

    // MARK: Swift types

    func swiftType(_ kind: Declaration.Kind, at location: SourceLocation) throws(SwiftGeneratorError) -> String {
        switch kind {
        case .plain(let type): return try swiftType(type, at: location)
        case .fixedArray(let type, _), .variableArray(let type, _): return "[\(try swiftType(type, at: location))]"
        case .fixedOpaque, .variableOpaque: return "[UInt8]"
        case .string: return "String"
        case .optional(let type): return "\(try swiftType(type, at: location))?"
        case .void: return "Void"
        }
    }

    func swiftType(_ type: TypeSpecifier, at location: SourceLocation) throws(SwiftGeneratorError) -> String {
        switch type {
        case .int: "Int32"
        case .unsignedInt: "UInt32"
        case .hyper: "Int64"
        case .unsignedHyper: "UInt64"
        case .float: "Float"
        case .double: "Double"
        case .quadruple: "XDRQuadruple"
        case .bool: "Bool"
        case .widthDependent(let width):
            switch width {
            case .sizeT, .uintptrT: "UInt"
            case .ssizeT, .intptrT, .timeT: "Int"
            case .handleT: "Handle"
            }
        case .named(let name): try symbols.swiftName(name, at: location)
        }
    }

    static func caseName(_ width: WidthDependentType) -> String {
        switch width {
        case .sizeT: ".sizeT"
        case .ssizeT: ".ssizeT"
        case .intptrT: ".intptrT"
        case .uintptrT: ".uintptrT"
        case .handleT: ".handleT"
        case .timeT: ".timeT"
        }
    }

    // MARK: Error paths

    /// `body` inside `do`/`catch` that adds `component` to the error's path.
    func withPath(
        _ component: String, into code: inout SwiftCodeBuilder,
        _ body: (inout SwiftCodeBuilder) throws(SwiftGeneratorError) -> Void
    ) throws(SwiftGeneratorError) {
        var inner = SwiftCodeBuilder()
        try body(&inner)
        if inner.lines.count == 1, let only = inner.lines.first {
            code.line("do throws(XDRError) { \(only) } catch { throw \(component) }")
        } else {
            code.line("do throws(XDRError) {")
            code.appendIndented(inner)
            code.line("} catch {")
            code.line("    throw \(component)")
            code.line("}")
        }
    }

    static func field(_ name: String) -> String { "error.inField(\(literal(name)))" }

    static func literal(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            if character == "\\" || character == "\"" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped + "\""
    }

    // MARK: Encoding

    func encode(
        _ kind: Declaration.Kind, _ value: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        switch kind {
        case .plain(let type):
            try encode(type, value, at: location, depth: depth, into: &code)
        case .fixedArray(let type, let count):
            code.line("try writer.checkFixedCount(\(value).count, expected: \(try symbols.count(count, at: location)))")
            try encodeElements(type, value, at: location, depth: depth, into: &code)
        case .variableArray(let type, let maximum):
            code.line("try writer.writeLength(\(value).count, maximum: \(try symbols.bound(maximum, at: location)))")
            try encodeElements(type, value, at: location, depth: depth, into: &code)
        case .fixedOpaque(let count):
            code.line("try writer.writeFixedOpaque(\(value), count: \(try symbols.count(count, at: location)))")
        case .variableOpaque(let maximum):
            code.line("try writer.writeOpaque(\(value), maximum: \(try symbols.bound(maximum, at: location)))")
        case .string(let maximum):
            code.line("try writer.writeString(\(value), maximum: \(try symbols.bound(maximum, at: location)))")
        case .optional(let type):
            let present = "value_\(depth)"
            code.line("if let \(present) = \(value) {")
            var inner = SwiftCodeBuilder()
            inner.line("writer.writeBool(true)")
            try encode(type, present, at: location, depth: depth + 1, into: &inner)
            code.appendIndented(inner)
            code.line("} else {")
            code.line("    writer.writeBool(false)")
            code.line("}")
        case .void:
            break
        }
    }

    private func encodeElements(
        _ type: TypeSpecifier, _ value: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        // Elements are encoded in place through a buffer pointer: iterating,
        // or subscripting the array, copies (retains) each one.
        let elements = "elements_\(depth)"
        let index = "index_\(depth)"
        let element = "\(elements)[\(index)]"
        let throwing = symbols.encodeThrows(.plain(type))
        let header =
            throwing
            ? "try \(value).withUnsafeBufferPointer { (\(elements)) throws(XDRError) in"
            : "\(value).withUnsafeBufferPointer { \(elements) in"
        code.line(header)
        var body = SwiftCodeBuilder()
        try body.block("for \(index) in \(elements).indices") {
            (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            if throwing {
                try withPath("error.inElement(\(index))", into: &code) {
                    (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                    try encode(type, element, at: location, depth: depth + 1, into: &code)
                }
            } else {
                try encode(type, element, at: location, depth: depth + 1, into: &code)
            }
        }
        code.appendIndented(body)
        code.line("}")
    }

    private func encode(
        _ type: TypeSpecifier, _ value: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        switch type {
        case .int: code.line("writer.writeInt32(\(value))")
        case .unsignedInt: code.line("writer.writeUInt32(\(value))")
        case .hyper: code.line("writer.writeInt64(\(value))")
        case .unsignedHyper: code.line("writer.writeUInt64(\(value))")
        case .float: code.line("writer.writeFloat(\(value))")
        case .double: code.line("writer.writeDouble(\(value))")
        case .quadruple: code.line("writer.writeQuadruple(\(value))")
        case .bool: code.line("writer.writeBool(\(value))")
        case .widthDependent(let width):
            switch width {
            case .sizeT, .uintptrT: code.line("try writer.writeUnsigned(\(value), as: \(Self.caseName(width)))")
            case .ssizeT, .intptrT, .timeT: code.line("try writer.writeSigned(\(value), as: \(Self.caseName(width)))")
            case .handleT: code.line("writer.writeHandle(\(value))")
            }
        case .named(let name):
            if case .typedef(let typedef)? = symbols.definition(name) {
                try encode(typedef.declaration.kind, value, at: location, depth: depth, into: &code)
            } else {
                _ = try symbols.entry(name, at: location)
                let marker = symbols.encodeThrows(.plain(type)) ? "try " : ""
                code.line("\(marker)\(value).encode(xdr: &writer)")
            }
        }
    }

    // MARK: Decoding

    /// Statements that assign a decoded value to `target`, a declared `let`.
    func decode(
        _ kind: Declaration.Kind, into target: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        switch kind {
        case .plain(let type):
            try decode(type, into: target, at: location, depth: depth, into: &code)
        case .fixedArray(let type, let count):
            let number = try symbols.count(count, at: location)
            let minimumSize = symbols.minimumSize(.plain(type))
            code.line("try reader.checkRemaining(count: \(number), minimumElementSize: \(minimumSize))")
            try decodeElements(type, count: String(number), into: target, at: location, depth: depth, into: &code)
        case .variableArray(let type, let maximum):
            let count = "count_\(depth)"
            let bound = try symbols.bound(maximum, at: location)
            let minimumSize = symbols.minimumSize(.plain(type))
            code.line("let \(count) = try reader.readLength(maximum: \(bound), minimumElementSize: \(minimumSize))")
            try decodeElements(type, count: count, into: target, at: location, depth: depth, into: &code)
        case .fixedOpaque(let count):
            code.line("\(target) = try reader.readFixedOpaque(count: \(try symbols.count(count, at: location)))")
        case .variableOpaque(let maximum):
            code.line("\(target) = try reader.readOpaque(maximum: \(try symbols.bound(maximum, at: location)))")
        case .string(let maximum):
            code.line("\(target) = try reader.readString(maximum: \(try symbols.bound(maximum, at: location)))")
        case .optional(let type):
            let present = "value_\(depth)"
            code.line("if try reader.beginOptional() {")
            var inner = SwiftCodeBuilder()
            inner.line("let \(present): \(try swiftType(type, at: location))")
            try decode(type, into: present, at: location, depth: depth + 1, into: &inner)
            inner.line("reader.endOptional()")
            inner.line("\(target) = \(present)")
            code.appendIndented(inner)
            code.line("} else {")
            code.line("    \(target) = nil")
            code.line("}")
        case .void:
            code.line("\(target) = ()")
        }
    }

    private func decodeElements(
        _ type: TypeSpecifier, count: String, into target: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        let items = "items_\(depth)"
        let index = "index_\(depth)"
        let element = "element_\(depth)"
        let elementType = try swiftType(type, at: location)
        code.line("var \(items): [\(elementType)] = []")
        code.line("\(items).reserveCapacity(\(count))")
        try code.block("for \(index) in 0..<\(count)") { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.line("let \(element): \(elementType)")
            try withPath("error.inElement(\(index))", into: &code) {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                try decode(type, into: element, at: location, depth: depth + 1, into: &code)
            }
            code.line("\(items).append(\(element))")
        }
        code.line("\(target) = \(items)")
    }

    private func decode(
        _ type: TypeSpecifier, into target: String, at location: SourceLocation, depth: Int,
        into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        let call: String
        switch type {
        case .int: call = "reader.readInt32()"
        case .unsignedInt: call = "reader.readUInt32()"
        case .hyper: call = "reader.readInt64()"
        case .unsignedHyper: call = "reader.readUInt64()"
        case .float: call = "reader.readFloat()"
        case .double: call = "reader.readDouble()"
        case .quadruple: call = "reader.readQuadruple()"
        case .bool: call = "reader.readBool()"
        case .widthDependent(let width):
            switch width {
            case .sizeT, .uintptrT: call = "reader.readUnsigned(as: \(Self.caseName(width)))"
            case .ssizeT, .intptrT, .timeT: call = "reader.readSigned(as: \(Self.caseName(width)))"
            case .handleT: call = "reader.readHandle()"
            }
        case .named(let name):
            if case .typedef(let typedef)? = symbols.definition(name) {
                try decode(typedef.declaration.kind, into: target, at: location, depth: depth, into: &code)
                return
            }
            call = "\(try symbols.swiftName(name, at: location))(xdr: &reader)"
        }
        code.line("\(target) = try \(call)")
    }
}
