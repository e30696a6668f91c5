import CrossbitCore
import CrossbitIDL

/// Renders a ``SwiftViewPlan``: a `CStructView` with a getter and a setter per
/// member, `load()` and `store(_:)` of the whole value.
extension SwiftFilePrinter {
    mutating func printView(_ plan: SwiftViewPlan) throws(SwiftGeneratorError) {
        let access = access
        try inNamespace { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            code.line(
                "/// `\(plan.idlName)` in memory laid out as rpcgen's C struct for ILP32 (i386) or LP64 (x86-64),")
            code.line("/// as `crossbit-idl cabi` prints it: width-dependent members follow the wire's rules.")
            try code.block("\(access)struct \(plan.viewType): CStructView") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                code.line("\(access)static let idlName = \(SwiftCodecEmitter.literal(plan.idlName))")
                code.line("\(access)static let fingerprint: UInt64 = 0x\(String(plan.fingerprint, radix: 16))")
                code.line("\(access)let memory: CMemory")
                code.line()
                let (size, alignment) = (Self.pick(plan.size, .layout), Self.pick(plan.alignment, .layout))
                code.line("\(access)static func size(_ layout: WireLayout) -> Int { \(size) }")
                code.line("\(access)static func alignment(_ layout: WireLayout) -> Int { \(alignment) }")
                code.line("\(access)init(unchecked memory: CMemory) { self.memory = memory }")
                for member in plan.members {
                    code.line()
                    try Self.accessors(member, access: access, into: &code)
                }
                code.line()
                try Self.wholeValue(plan, access: access, into: &code)
            }
        }
    }

    /// Where a view's code finds the layout it reads: a `layout` parameter (static members) or its `memory`.
    enum LayoutSource { case layout, memory }

    /// `4` when both layouts agree, else `layout == .ilp32 ? 4 : 8` (or `memory.at(4, 8)`).
    static func pick(_ values: (ilp32: Int, lp64: Int), _ source: LayoutSource) -> String {
        if values.ilp32 == values.lp64 { return "\(values.ilp32)" }
        return switch source {
        case .layout: "layout == .ilp32 ? \(values.ilp32) : \(values.lp64)"
        case .memory: "memory.at(\(values.ilp32), \(values.lp64))"
        }
    }

    private static func accessors(
        _ member: SwiftViewPlan.Member, access: String, into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        let name = SwiftCodecEmitter.literal(member.idlName)
        let offset = pick(member.offset, .memory)
        let stride = pick(member.stride, .memory)
        let getter = "\(access)func \(member.getter)() throws(CViewError) -> "
        let setter = "\(access)func \(member.setter)(_ value: "
        switch member.kind {
        case .scalar(let scalar):
            let access = ScalarAccess(scalar, swiftType: member.swiftType)
            code.line(getter + "\(member.swiftType) { \(access.get(offset, member: name)) }")
            let store = access.set("value", offset, member: name)
            code.line(setter + "\(member.swiftType)) throws(CViewError) { \(store) }")
        case .scalars(let scalar, let count, let element):
            let access = ScalarAccess(scalar, swiftType: element)
            let at = "\(offset) + index * \(stride)"
            let path = "\"\(member.idlName)[\\(index)]\""
            let closure = access.getThrows ? "(index) throws(CViewError) in" : "index in"
            try code.block(getter + member.swiftType) { (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                let load = access.get(at, member: path)
                code.line("\(access.getThrows ? "try " : "")(0..<\(count)).map { \(closure) \(load) }")
            }
            try code.block(setter + "\(member.swiftType)) throws(CViewError)") {
                (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
                code.line("try memory.checkCount(value.count, expected: \(count), member: \(name))")
                code.line("for (index, element) in value.enumerated() { \(access.set("element", at, member: path)) }")
            }
        case .bytes(let count):
            code.line(getter + "\(member.swiftType) { memory.bytes(at: \(offset), count: \(count)) }")
            code.line(setter + "\(member.swiftType)) throws(CViewError) {")
            code.line("    try memory.setBytes(value, at: \(offset), count: \(count), member: \(name))")
            code.line("}")
        case .view(let view):
            code.line(getter + "\(view) { \(view)(unchecked: memory.advanced(by: \(offset))) }")
            code.line(setter + "\(member.swiftType)) throws(CViewError) {")
            code.line("    do { try \(member.getter)().store(value) } catch { throw error.inMember(\(name)) }")
            code.line("}")
        case .views(let view, let count):
            code.line(getter + "[\(view)] {")
            let element = "\(view)(unchecked: memory.advanced(by: \(offset) + index * \(stride)))"
            code.line("    (0..<\(count)).map { index in \(element) }")
            code.line("}")
            code.line(setter + "\(member.swiftType)) throws(CViewError) {")
            code.line("    do { try \(member.getter)().store(value) } catch { throw error.inMember(\(name)) }")
            code.line("}")
        }
    }

    private static func wholeValue(
        _ plan: SwiftViewPlan, access: String, into code: inout SwiftCodeBuilder
    ) throws(SwiftGeneratorError) {
        try code.block("\(access)func load() throws(CViewError) -> \(plan.valueType)") {
            (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            for member in plan.members {
                switch member.kind {
                case .view, .views:
                    code.line("let \(member.local): \(member.swiftType)")
                    code.line(
                        "do { \(member.local) = try self.\(member.getter)().load() } "
                            + "catch { throw error.inMember(\(SwiftCodecEmitter.literal(member.idlName))) }")
                default:
                    code.line("let \(member.local) = try self.\(member.getter)()")
                }
            }
            let arguments = plan.members.map { "\($0.label): \($0.local)" }.joined(separator: ", ")
            code.line("return \(plan.valueType)(\(arguments))")
        }
        code.line()
        try code.block("\(access)func store(_ value: \(plan.valueType)) throws(CViewError)") {
            (code: inout SwiftCodeBuilder) throws(SwiftGeneratorError) in
            for member in plan.members {
                code.line("try \(member.setter)(value.\(SwiftNaming.escaped(member.label)))")
            }
        }
    }
}

/// The `CMemory` calls that read and write one C scalar.
private struct ScalarAccess {
    let scalar: CScalar
    let swiftType: String

    init(_ scalar: CScalar, swiftType: String) {
        self.scalar = scalar
        self.swiftType = swiftType
    }

    var getThrows: Bool {
        switch scalar {
        case .long, .unsignedLong, .bool, .enumeration: true
        default: false
        }
    }

    func get(_ offset: String, member: String) -> String {
        switch scalar {
        case .char, .unsignedChar, .short, .unsignedShort:
            "\(swiftType)(memory.load(\(narrow).self, at: \(offset)))"
        case .int, .unsignedInt, .hyper, .unsignedHyper, .float, .double:
            "memory.load(\(swiftType).self, at: \(offset))"
        case .long: "try memory.long(at: \(offset), member: \(member))"
        case .unsignedLong: "try memory.unsignedLong(at: \(offset), member: \(member))"
        case .bool: "try memory.bool(at: \(offset), member: \(member))"
        case .enumeration: "try memory.enumeration(\(swiftType).self, at: \(offset), member: \(member))"
        case .widthDependent(let width):
            switch width {
            case .sizeT, .uintptrT: "memory.unsigned(at: \(offset))"
            case .ssizeT, .intptrT, .timeT: "memory.signed(at: \(offset))"
            case .handleT: "memory.handle(at: \(offset))"
            }
        }
    }

    func set(_ value: String, _ offset: String, member: String) -> String {
        switch scalar {
        case .char, .unsignedChar, .short, .unsignedShort:
            "try memory.store(\(value), as: \(narrow).self, at: \(offset), member: \(member))"
        case .int, .unsignedInt, .hyper, .unsignedHyper, .float, .double: "memory.store(\(value), at: \(offset))"
        case .long: "memory.setLong(\(value), at: \(offset))"
        case .unsignedLong: "memory.setUnsignedLong(\(value), at: \(offset))"
        case .bool: "memory.setBool(\(value), at: \(offset))"
        case .enumeration: "memory.store(\(value).rawValue, at: \(offset))"
        case .widthDependent(let width):
            switch width {
            case .sizeT, .uintptrT:
                "try memory.setUnsigned(\(value), \(SwiftCodecEmitter.caseName(width)), at: \(offset), "
                    + "member: \(member))"
            case .ssizeT, .intptrT, .timeT:
                "try memory.setSigned(\(value), \(SwiftCodecEmitter.caseName(width)), at: \(offset), member: \(member))"
            case .handleT: "memory.setHandle(\(value), at: \(offset))"
            }
        }
    }

    /// The C type of a `char` or `short` member.
    private var narrow: String {
        switch scalar {
        case .char: "Int8"
        case .unsignedChar: "UInt8"
        case .short: "Int16"
        default: "UInt16"
        }
    }
}
