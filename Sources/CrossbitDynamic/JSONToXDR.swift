import CrossbitCore
import CrossbitIDL
import Foundation

/// Encodes JSON values as XDR, walking the IDL types; every primitive goes
/// through the runtime's ``XDRWriter`` (its narrowing checks included).
struct JSONToXDR {
    let module: IDLModule
    var writer: XDRWriter
    var path: [String] = []

    init(module: IDLModule, layout: WireLayout) {
        self.module = module
        writer = XDRWriter(layout: layout)
    }

    func error(_ kind: DynamicCodecError.Kind) -> DynamicCodecError { DynamicCodecError(kind, path: path) }

    func mismatch(_ expected: String, _ found: JSONValue) -> DynamicCodecError {
        error(.typeMismatch(expected: expected, found: found.kindName))
    }

    /// Runs a writer call, giving its error this value's path.
    mutating func write(_ body: (inout XDRWriter) throws(XDRError) -> Void) throws(DynamicCodecError) {
        do {
            try body(&writer)
        } catch {
            throw DynamicCodecError(error, path: path)
        }
    }

    /// Encodes `value` with `component` appended to the path.
    mutating func encode(_ value: JSONValue, _ kind: Declaration.Kind, at component: String) throws(DynamicCodecError) {
        path.append(component)
        try encode(value, kind)
        path.removeLast()
    }

    mutating func encode(_ value: JSONValue, _ kind: Declaration.Kind) throws(DynamicCodecError) {
        switch kind {
        case .plain(let type):
            try encode(value, type)
        case .fixedArray(let type, let count):
            let elements = try array(value)
            let expected = module.resolver.count(count)
            try write { writer throws(XDRError) in try writer.checkFixedCount(elements.count, expected: expected) }
            for (index, element) in elements.enumerated() { try encode(element, .plain(type), at: "[\(index)]") }
        case .variableArray(let type, let maximum):
            let elements = try array(value)
            let bound = module.resolver.bound(maximum)
            try write { writer throws(XDRError) in try writer.writeLength(elements.count, maximum: bound) }
            for (index, element) in elements.enumerated() { try encode(element, .plain(type), at: "[\(index)]") }
        case .fixedOpaque(let count):
            let bytes = try opaque(value)
            let expected = module.resolver.count(count)
            try write { writer throws(XDRError) in try writer.writeFixedOpaque(bytes, count: expected) }
        case .variableOpaque(let maximum):
            let bytes = try opaque(value)
            let bound = module.resolver.bound(maximum)
            try write { writer throws(XDRError) in try writer.writeOpaque(bytes, maximum: bound) }
        case .string(let maximum):
            guard case .string(let text) = value else { throw mismatch("a string", value) }
            let bound = module.resolver.bound(maximum)
            try write { writer throws(XDRError) in try writer.writeString(text, maximum: bound) }
        case .optional(let type):
            writer.writeBool(value != .null)
            if value != .null { try encode(value, type) }
        case .void:
            guard value == .null else { throw mismatch("null (void)", value) }
        }
    }

    func array(_ value: JSONValue) throws(DynamicCodecError) -> [JSONValue] {
        guard case .array(let elements) = value else { throw mismatch("an array", value) }
        return elements
    }

    func opaque(_ value: JSONValue) throws(DynamicCodecError) -> [UInt8] {
        guard case .string(let text) = value else { throw mismatch("a base64 string (opaque)", value) }
        guard let data = Data(base64Encoded: text) else { throw error(.invalidBase64) }
        return [UInt8](data)
    }

    mutating func encode(_ value: JSONValue, _ type: TypeSpecifier) throws(DynamicCodecError) {
        switch type {
        case .int: writer.writeInt32(try integer(value, Int32.self, "int"))
        case .unsignedInt: writer.writeUInt32(try integer(value, UInt32.self, "unsigned int"))
        case .hyper: writer.writeInt64(try integer(value, Int64.self, "hyper"))
        case .unsignedHyper: writer.writeUInt64(try integer(value, UInt64.self, "unsigned hyper"))
        case .float:
            let number = try floatingPoint(value, Float.self, "float")
            writer.writeFloat(number)
        case .double:
            let number = try floatingPoint(value, Double.self, "double")
            writer.writeDouble(number)
        case .quadruple:
            let bits = try quadruple(value)
            writer.writeQuadruple(bits)
        case .bool:
            guard case .bool(let flag) = value else { throw mismatch("true or false", value) }
            writer.writeBool(flag)
        case .widthDependent(let type):
            try encode(value, type)
        case .named(let name):
            try encode(value, named: name)
        }
    }

    mutating func encode(_ value: JSONValue, _ type: WidthDependentType) throws(DynamicCodecError) {
        switch type {
        case .handleT:
            // Negative numbers are bit patterns: -1 is the handle of all ones.
            let number = try integer(value, type.idlName, minimum: Int128(Int64.min), maximum: Int128(UInt64.max))
            writer.writeHandle(Handle(rawValue: UInt(truncatingIfNeeded: number)))
        case .sizeT, .uintptrT:
            let number = try integer(value, UInt.self, type.idlName)
            try write { writer throws(XDRError) in try writer.writeUnsigned(number, as: type) }
        case .ssizeT, .intptrT, .timeT:
            let number = try integer(value, Int.self, type.idlName)
            try write { writer throws(XDRError) in try writer.writeSigned(number, as: type) }
        }
    }

    mutating func encode(_ value: JSONValue, named name: String) throws(DynamicCodecError) {
        switch module.definition(ofType: name) {
        case .typedef(let definition):
            try encode(value, definition.declaration.kind)
        case .enum(let definition):
            writer.writeInt32(try enumValue(value, definition))
        case .struct(let definition):
            try encode(value, definition)
        case .union(let definition):
            try encode(value, definition)
        case nil:
            throw error(.idl("type \(name) is not defined in the IDL"))
        }
    }

    mutating func encode(_ value: JSONValue, _ definition: StructDefinition) throws(DynamicCodecError) {
        let members = try object(value, of: definition.name)
        try rejectUnknown(members, known: Set(definition.fields.map(\.name)))
        for field in definition.fields {
            guard let member = members.first(where: { $0.key == field.name }) else {
                // Optional data may be left out: it is absent.
                guard case .optional = field.kind else { throw error(.missingField(field.name)) }
                writer.writeBool(false)
                continue
            }
            try encode(member.value, field.kind, at: field.name)
        }
    }

    mutating func encode(_ value: JSONValue, _ definition: UnionDefinition) throws(DynamicCodecError) {
        let members = try object(value, of: definition.name)
        let discriminantName = definition.discriminant.name
        guard let discriminant = members.first(where: { $0.key == discriminantName })?.value else {
            throw error(.missingField(discriminantName))
        }
        let union = try XDRToJSON.resolved(definition, in: module)
        path.append(discriminantName)
        let number: Int128
        switch union.discriminant {
        case .int:
            let value = try integer(discriminant, Int32.self, "int")
            writer.writeInt32(value)
            number = Int128(value)
        case .unsignedInt:
            let value = try integer(discriminant, UInt32.self, "unsigned int")
            writer.writeUInt32(value)
            number = Int128(value)
        case .bool:
            guard case .bool(let flag) = discriminant else { throw mismatch("true or false", discriminant) }
            writer.writeBool(flag)
            number = flag ? 1 : 0
        case .enumeration(let enumeration):
            let value = try enumValue(discriminant, enumeration, allowingUnknown: definition.defaultArm != nil)
            writer.writeInt32(value)
            number = Int128(value)
        }
        path.removeLast()
        guard let arm = union.arm(for: number) else {
            throw error(.unknownUnionArm(type: definition.name, discriminant: discriminant.text(pretty: false)))
        }
        let others = members.filter { $0.key != discriminantName }
        if case .void = arm.kind {
            if let extra = others.first { throw error(.unknownField(extra.key)) }
            return
        }
        guard let armValue = others.first(where: { $0.key == arm.name }) else {
            if let other = others.first {
                throw error(.wrongUnionArm(type: definition.name, expected: "\"\(arm.name)\"", found: other.key))
            }
            throw error(.missingField(arm.name))
        }
        if let extra = others.first(where: { $0.key != arm.name }) { throw error(.unknownField(extra.key)) }
        try encode(armValue.value, arm.kind, at: arm.name)
    }

    func object(_ value: JSONValue, of type: String) throws(DynamicCodecError) -> [JSONValue.Member] {
        guard case .object(let members) = value else { throw mismatch("an object (\(type))", value) }
        return members
    }

    func rejectUnknown(_ members: [JSONValue.Member], known: Set<String>) throws(DynamicCodecError) {
        if let unknown = members.first(where: { !known.contains($0.key) }) { throw error(.unknownField(unknown.key)) }
    }

    /// An enum's value from a case name or a number that is a case's value
    /// (any `int` when a default arm takes unknown values).
    func enumValue(
        _ value: JSONValue, _ definition: EnumDefinition, allowingUnknown: Bool = false
    ) throws(DynamicCodecError) -> Int32 {
        switch value {
        case .string(let name):
            guard let match = definition.cases.first(where: { $0.name == name }) else {
                throw error(.unknownEnumCase(type: definition.name, value: "\"\(name)\""))
            }
            return Int32(truncatingIfNeeded: module.value(of: match.value))
        case .number(let text):
            let number = try integer(value, Int32.self, "enum \(definition.name)")
            guard allowingUnknown || module.resolver.enumCase(of: definition, value: Int128(number)) != nil else {
                throw error(.unknownEnumCase(type: definition.name, value: text))
            }
            return number
        default:
            throw mismatch("a case name of enum \(definition.name)", value)
        }
    }

    func integer<T: FixedWidthInteger>(_ value: JSONValue, _: T.Type, _ type: String) throws(DynamicCodecError) -> T {
        T(truncatingIfNeeded: try integer(value, type, minimum: Int128(T.min), maximum: Int128(T.max)))
    }

    /// An integer in `minimum...maximum`, from a JSON number written without
    /// fraction or exponent.
    func integer(
        _ value: JSONValue, _ type: String, minimum: Int128, maximum: Int128
    ) throws(DynamicCodecError) -> Int128 {
        guard case .number(let text) = value else { throw mismatch("an integer (\(type))", value) }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { throw error(.notAnInteger(text)) }
        guard let number = Int128(text), number >= minimum, number <= maximum else {
            throw error(.outOfRange(value: text, type: type))
        }
        return number
    }

    /// A float or double from a number, or "NaN", "Infinity", "-Infinity".
    func floatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: JSONValue, _: T.Type, _ type: String
    ) throws(DynamicCodecError) -> T {
        switch value {
        case .number(let text):
            guard let number = T(text), number.isFinite else { throw error(.outOfRange(value: text, type: type)) }
            return number
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: throw mismatch("a number (\(type))", value)
        }
    }

    /// A quadruple from its 16 wire bytes as 32 hexadecimal digits.
    func quadruple(_ value: JSONValue) throws(DynamicCodecError) -> XDRQuadruple {
        guard case .string(let text) = value, text.count == 32, text.allSatisfy(\.isHexDigit),
            let high = UInt64(text.prefix(16), radix: 16), let low = UInt64(text.suffix(16), radix: 16)
        else { throw mismatch("32 hexadecimal digits (quadruple)", value) }
        return XDRQuadruple(high: high, low: low)
    }
}
