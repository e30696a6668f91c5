import CrossbitCore
import CrossbitIDL

/// Turns the IDL types of a module into conversion plans, once per type.
struct PlanCompiler {
    let module: IDLModule
    private var compiled: [String: PlanNode] = [:]
    private var compiling: [String: PlanReference?] = [:]

    init(module: IDLModule) {
        self.module = module
    }

    /// The plan of a procedure's arguments, one after the other.
    mutating func arguments(of procedure: ProcedureDefinition) -> PlanNode {
        let nodes = procedure.arguments.enumerated().map { index, argument in
            named(argument.name.isEmpty ? "arg\(index + 1)" : argument.name, plan(of: argument.kind))
        }
        return sequence(nodes)
    }

    /// The plan of a procedure's result.
    mutating func result(of procedure: ProcedureDefinition) -> PlanNode {
        named("result", plan(of: procedure.result.kind))
    }

    private mutating func plan(of kind: Declaration.Kind) -> PlanNode {
        switch kind {
        case .plain(let type):
            return plan(of: type)
        case .fixedArray(let type, let count):
            let count = integer(count)
            let element = plan(of: type)
            if case .copy(let size) = element { return .copy(size * count) }
            return .fixedArray(count: count, element: element)
        case .variableArray(let type, let maximum):
            return .variableArray(maximum: maximum.map(bound), element: plan(of: type))
        case .fixedOpaque(let count):
            return .copy((integer(count) + 3) & ~3)
        case .variableOpaque(let maximum), .string(let maximum):
            return .variableBytes(maximum: maximum.map(bound))
        case .optional(let type):
            return .optional(plan(of: type))
        case .void:
            return .copy(0)
        }
    }

    private mutating func plan(of type: TypeSpecifier) -> PlanNode {
        switch type {
        case .int, .unsignedInt, .float: .copy(4)
        case .bool: .bool
        case .hyper, .unsignedHyper, .double: .copy(8)
        case .quadruple: .copy(16)
        case .widthDependent(let type): .widthDependent(type)
        case .named(let name): plan(ofType: name)
        }
    }

    private mutating func plan(ofType name: String) -> PlanNode {
        if let node = compiled[name] { return node }
        if let pending = compiling[name] {
            // Reached again while compiling it: a recursive type.
            let reference = pending ?? PlanReference(name: name)
            compiling[name] = reference
            return .reference(reference)
        }
        compiling[name] = .some(nil)
        let node: PlanNode
        switch module.definition(ofType: name) {
        case .typedef(let definition): node = plan(of: definition.declaration.kind)
        case .enum(let definition):
            node = .enumeration(EnumPlan(
                name: definition.name,
                values: Set(definition.cases.map { Int32(truncatingIfNeeded: module.value(of: $0.value)) })))
        case .struct(let definition):
            node = sequence(definition.fields.map { named($0.name, plan(of: $0.kind)) })
        case .union(let definition): node = plan(ofUnion: definition)
        case nil: node = .copy(0)  // the checker rejects undefined names
        }
        if case .some(.some(let reference)) = compiling.removeValue(forKey: name) {
            reference.resolve(node)
        }
        compiled[name] = node
        return node
    }

    private mutating func plan(ofUnion definition: UnionDefinition) -> PlanNode {
        let discriminant: UnionPlan.Discriminant
        switch definition.discriminant.kind {
        case .plain(let type) where module.resolve(type) == .unsignedInt || module.resolve(type) == .bool:
            discriminant = .unsigned
        default:
            discriminant = .signed
        }
        var arms: [Int64: PlanNode] = [:]
        for arm in definition.arms {
            let node = named(arm.declaration.name, plan(of: arm.declaration.kind))
            for value in arm.values {
                arms[Int64(truncatingIfNeeded: module.value(of: value))] = node
            }
        }
        let defaultArm = definition.defaultArm.map { named($0.name, plan(of: $0.kind)) }
        // Never one copy, even when every arm is: the discriminant must have an arm.
        return .union(UnionPlan(name: definition.name, discriminant: discriminant, arms: arms, defaultArm: defaultArm))
    }

    private func integer(_ value: Value) -> Int {
        Int(clamping: module.value(of: value))
    }

    private func bound(_ value: Value) -> UInt32 {
        UInt32(clamping: module.value(of: value))
    }

    /// Names a part for error paths; bytes copied as they are need no name.
    private func named(_ name: String, _ node: PlanNode) -> PlanNode {
        if case .copy = node { return node }
        return name.isEmpty ? node : .field(name, node)
    }

    /// Values one after the other, adjacent copies merged into one.
    private func sequence(_ nodes: [PlanNode]) -> PlanNode {
        var merged: [PlanNode] = []
        for node in nodes {
            if case .copy(let size) = node, case .copy(let previous)? = merged.last {
                merged[merged.count - 1] = .copy(previous + size)
            } else if case .copy(0) = node {
                continue
            } else {
                merged.append(node)
            }
        }
        if merged.isEmpty { return .copy(0) }
        return merged.count == 1 ? merged[0] : .sequence(merged)
    }
}
