import CrossbitCore
import CrossbitIDL
import Foundation

/// Decodes XDR into JSON values, walking the IDL types; every primitive
/// comes from the runtime's ``XDRReader`` (its length bounds included).
struct XDRToJSON {
    /// How deeply optional data may nest (a linked list's length).
    static let maximumDepth = 256

    let module: IDLModule
    var reader: XDRReader
    var path: [String] = []

    init(module: IDLModule, bytes: [UInt8], layout: WireLayout) {
        self.module = module
        reader = XDRReader(bytes: bytes, layout: layout, maximumDepth: Self.maximumDepth)
    }

    /// Runs a reader call, giving its error this value's path.
    mutating func read<T>(_ body: (inout XDRReader) throws(XDRError) -> T) throws(DynamicCodecError) -> T {
        do {
            return try body(&reader)
        } catch {
            throw DynamicCodecError(error, path: path)
        }
    }

    mutating func decode(_ kind: Declaration.Kind, at component: String) throws(DynamicCodecError) -> JSONValue {
        path.append(component)
        defer { path.removeLast() }
        return try decode(kind)
    }

    mutating func decode(_ kind: Declaration.Kind) throws(DynamicCodecError) -> JSONValue {
        switch kind {
        case .plain(let type):
            return try decode(type)
        case .fixedArray(let type, let count):
            let count = module.resolver.count(count)
            try read { reader throws(XDRError) in try reader.checkRemaining(count: count, minimumElementSize: 4) }
            return try elements(count, of: type)
        case .variableArray(let type, let maximum):
            let bound = module.resolver.bound(maximum)
            let count = try read { reader throws(XDRError) in try reader.readLength(maximum: bound) }
            return try elements(count, of: type)
        case .fixedOpaque(let count):
            let count = module.resolver.count(count)
            let bytes = try read { reader throws(XDRError) in try reader.readFixedOpaque(count: count) }
            return .string(Data(bytes).base64EncodedString())
        case .variableOpaque(let maximum):
            let bound = module.resolver.bound(maximum)
            let bytes = try read { reader throws(XDRError) in try reader.readOpaque(maximum: bound) }
            return .string(Data(bytes).base64EncodedString())
        case .string(let maximum):
            let bound = module.resolver.bound(maximum)
            return .string(try read { reader throws(XDRError) in try reader.readString(maximum: bound) })
        case .optional(let type):
            guard try read({ reader throws(XDRError) in try reader.beginOptional() }) else { return .null }
            defer { reader.endOptional() }
            return try decode(type)
        case .void:
            return .null
        }
    }

    mutating func elements(_ count: Int, of type: TypeSpecifier) throws(DynamicCodecError) -> JSONValue {
        var elements: [JSONValue] = []
        elements.reserveCapacity(count)
        for index in 0..<count { elements.append(try decode(.plain(type), at: "[\(index)]")) }
        return .array(elements)
    }

    mutating func decode(_ type: TypeSpecifier) throws(DynamicCodecError) -> JSONValue {
        switch type {
        case .int: .integer(try read { reader throws(XDRError) in try reader.readInt32() })
        case .unsignedInt: .integer(try read { reader throws(XDRError) in try reader.readUInt32() })
        case .hyper: .integer(try read { reader throws(XDRError) in try reader.readInt64() })
        case .unsignedHyper: .integer(try read { reader throws(XDRError) in try reader.readUInt64() })
        case .float: Self.number(try read { reader throws(XDRError) in try reader.readFloat() })
        case .double: Self.number(try read { reader throws(XDRError) in try reader.readDouble() })
        case .quadruple:
            try read { reader throws(XDRError) in
                let value = try reader.readQuadruple()
                return .string(Self.hex(value.high) + Self.hex(value.low))
            }
        case .bool: .bool(try read { reader throws(XDRError) in try reader.readBool() })
        case .widthDependent(let type): try decode(type)
        case .named(let name): try decode(named: name)
        }
    }

    mutating func decode(_ type: WidthDependentType) throws(DynamicCodecError) -> JSONValue {
        switch type {
        case .handleT: .integer(try read { reader throws(XDRError) in try reader.readHandle() }.rawValue)
        case .sizeT, .uintptrT: .integer(try read { reader throws(XDRError) in try reader.readUnsigned(as: type) })
        case .ssizeT, .intptrT, .timeT:
            .integer(try read { reader throws(XDRError) in try reader.readSigned(as: type) })
        }
    }

    mutating func decode(named name: String) throws(DynamicCodecError) -> JSONValue {
        switch module.definition(ofType: name) {
        case .typedef(let definition):
            return try decode(definition.declaration.kind)
        case .enum(let definition):
            let offset = reader.offset
            let value = try read { reader throws(XDRError) in try reader.readInt32() }
            guard let match = module.resolver.enumCase(of: definition, value: Int128(value)) else {
                throw DynamicCodecError(
                    XDRError(.invalidEnumValue(type: name, value: value), offset: offset), path: path)
            }
            return .string(match.name)
        case .struct(let definition):
            var members: [JSONValue.Member] = []
            for field in definition.fields {
                members.append(JSONValue.Member(field.name, try decode(field.kind, at: field.name)))
            }
            return .object(members)
        case .union(let definition):
            return try decode(definition)
        case nil:
            throw DynamicCodecError(.idl("type \(name) is not defined in the IDL"), path: path)
        }
    }

    mutating func decode(_ definition: UnionDefinition) throws(DynamicCodecError) -> JSONValue {
        let name = definition.discriminant.name
        path.append(name)
        let union = try Self.resolved(definition, in: module)
        let number: Int128, discriminant: JSONValue
        switch union.discriminant {
        case .int:
            let value = try read { reader throws(XDRError) in try reader.readInt32() }
            (number, discriminant) = (Int128(value), .integer(value))
        case .unsignedInt:
            let value = try read { reader throws(XDRError) in try reader.readUInt32() }
            (number, discriminant) = (Int128(value), .integer(value))
        case .bool:
            let value = try read { reader throws(XDRError) in try reader.readBool() }
            (number, discriminant) = (value ? 1 : 0, .bool(value))
        case .enumeration(let enumeration):
            let value = try read { reader throws(XDRError) in try reader.readInt32() }
            number = Int128(value)
            // A value that is no case (taken by a default arm) stays a number.
            let match = module.resolver.enumCase(of: enumeration, value: number)
            discriminant = match.map { .string($0.name) } ?? .integer(value)
        }
        path.removeLast()
        guard let arm = union.arm(for: number) else {
            let error = reader.invalidDiscriminant(Int64(truncatingIfNeeded: number), union: definition.name)
            throw DynamicCodecError(error, path: path + [name])
        }
        var members = [JSONValue.Member(name, discriminant)]
        if case .void = arm.kind { return .object(members) }
        members.append(JSONValue.Member(arm.name, try decode(arm.kind, at: arm.name)))
        return .object(members)
    }

    /// The union's discriminant kind and case values (a checked module always has them).
    static func resolved(
        _ definition: UnionDefinition, in module: IDLModule
    ) throws(DynamicCodecError) -> ResolvedUnion {
        guard let union = module.resolver.union(definition) else {
            throw DynamicCodecError(
                .idl("union \(definition.name) has no int, unsigned int, bool or enum discriminant"))
        }
        return union
    }

    /// A float or double as a JSON number; NaN and infinities as strings.
    static func number<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return .number(value.description)
    }

    static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
