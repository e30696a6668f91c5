import CrossbitIDL

/// The type of a union's discriminant (the checker allows these only).
enum DiscriminantType {
    case int
    case unsignedInt
    case bool
    case enumeration(EnumDefinition)
}

extension IDLModule {
    /// A fixed array's or opaque's element count.
    func count(_ value: Value) -> Int { Int(clamping: self.value(of: value)) }

    /// A variable-length type's maximum, nil for none.
    func bound(_ value: Value?) -> UInt32? { value.map { UInt32(clamping: self.value(of: $0)) } }

    func discriminantType(of union: UnionDefinition) -> DiscriminantType {
        guard case .plain(let type) = union.discriminant.kind else { return .int }
        switch resolve(type) {
        case .unsignedInt: return .unsignedInt
        case .bool: return .bool
        case .named(let name):
            if case .enum(let definition) = definition(ofType: name) { return .enumeration(definition) }
            return .int
        default: return .int
        }
    }

    /// The arm a discriminant value selects: a case arm, else the default arm, else nil.
    func arm(of union: UnionDefinition, for discriminant: Int128) -> Declaration? {
        union.arms.first { arm in arm.values.contains { value(of: $0) == discriminant } }?.declaration
            ?? union.defaultArm
    }

    /// The enum case with this value.
    func enumCase(of definition: EnumDefinition, value: Int128) -> EnumDefinition.Case? {
        definition.cases.first { self.value(of: $0.value) == value }
    }

    /// Whether a value of this declaration is a JSON array (a fixed or
    /// variable array, possibly through typedefs or optional data).
    func isArrayShaped(_ kind: Declaration.Kind, depth: Int = 0) -> Bool {
        switch kind {
        case .fixedArray, .variableArray: return true
        case .plain(.named(let name)), .optional(.named(let name)):
            guard depth < 64, case .typedef(let typedef) = definition(ofType: name) else { return false }
            return isArrayShaped(typedef.declaration.kind, depth: depth + 1)
        default: return false
        }
    }
}
