import CrossbitCore
import CrossbitIDL

/// Turns the IDL types of a module into conversion plans, once per type.
///
/// What a type is (typedefs, discriminant kinds, bounds, case values) comes from the front end's
/// ``TypeResolver``, as the Swift generator and the dynamic codec read it: the broker checks a value exactly as
/// the generated code of both peers decodes it.
struct PlanCompiler {
    let module: IDLModule
    private var resolver: TypeResolver { module.resolver }
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
            let count = resolver.count(count)
            let element = plan(of: type)
            if case .copy(let size) = element { return .copy(size * count) }
            return .fixedArray(count: count, element: element)
        case .variableArray(let type, let maximum):
            return .variableArray(maximum: resolver.bound(maximum), element: plan(of: type))
        case .fixedOpaque(let count):
            return .copy((resolver.count(count) + 3) & ~3)
        case .variableOpaque(let maximum), .string(let maximum):
            return .variableBytes(maximum: resolver.bound(maximum))
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
            node = .enumeration(
                EnumPlan(
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
        // The checker leaves no union without a discriminant kind and case values.
        guard let union = resolver.union(definition) else { return .copy(0) }
        var arms: [Int64: PlanNode] = [:]
        for arm in definition.arms {
            let node = named(arm.declaration.name, plan(of: arm.declaration.kind))
            for unionCase in union.cases where unionCase.arm == arm {
                arms[Int64(truncatingIfNeeded: unionCase.value)] = node
            }
        }
        let discriminant: UnionPlan.Discriminant = union.discriminant.isSigned ? .signed : .unsigned
        let defaultArm = definition.defaultArm.map { named($0.name, plan(of: $0.kind)) }
        // Never one copy, even when every arm is: the discriminant must have an arm.
        return .union(UnionPlan(name: definition.name, discriminant: discriminant, arms: arms, defaultArm: defaultArm))
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
