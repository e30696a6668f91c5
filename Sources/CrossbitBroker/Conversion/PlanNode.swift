import CrossbitCore

/// One step of a conversion plan: how to carry one XDR value from the
/// reader's layout to the writer's (see docs/conversion-plan.md).
///
/// Plans are built once per procedure when the broker starts and then only
/// read, from any thread.
indirect enum PlanNode: Sendable {
    /// Bytes that are the same in both layouts and need no check (a multiple of 4).
    case copy(Int)
    /// An enum: its value must be one the IDL declares.
    case enumeration(EnumPlan)
    /// A bool: 0 or 1.
    case bool
    /// One width-dependent value, widened or narrowed by SPEC §2.
    case widthDependent(WidthDependentType)
    /// Values one after the other (struct fields, procedure arguments).
    case sequence([PlanNode])
    /// A named part of a value, for the field path of errors.
    case field(String, PlanNode)
    /// `T x[N]` with a width-dependent `T`.
    case fixedArray(count: Int, element: PlanNode)
    /// `T x<N>`: a count, then the elements.
    case variableArray(maximum: UInt32?, element: PlanNode)
    /// `opaque x<N>` or `string x<N>`: copied as they are.
    case variableBytes(maximum: UInt32?)
    /// `T *x`: a bool, then the value when present.
    case optional(PlanNode)
    /// `union switch`: the discriminant, then the plan of its arm.
    case union(UnionPlan)
    /// A named type defined in terms of itself, resolved after compilation.
    case reference(PlanReference)

    /// The fewest bytes the value takes in any layout (to bound array counts).
    var minimumSize: Int {
        switch self {
        case .copy(let count): count
        case .widthDependent, .enumeration, .bool: 4
        case .sequence(let nodes): nodes.reduce(0) { $0 + $1.minimumSize }
        case .field(_, let node): node.minimumSize
        case .fixedArray(let count, let element): count * element.minimumSize
        case .variableArray, .variableBytes, .optional, .union, .reference: 4
        }
    }
}

/// The plan of an enum: the values it declares.
struct EnumPlan: Sendable {
    var name: String
    var values: Set<Int32>
}

/// The plan of a union: which arm follows which discriminant.
struct UnionPlan: Sendable {
    enum Discriminant: Sendable {
        case signed
        case unsigned
    }

    var name: String
    var discriminant: Discriminant
    var arms: [Int64: PlanNode]
    var defaultArm: PlanNode?
}

/// A plan that refers to itself through optional data or arrays
/// (`struct node { size_t size; node *next; }`).
///
/// Set once while the plan is compiled, never changed after: that is why it
/// can be shared between threads.
final class PlanReference: @unchecked Sendable {
    let name: String
    private(set) var node: PlanNode = .copy(0)

    init(name: String) {
        self.name = name
    }

    func resolve(_ node: PlanNode) {
        self.node = node
    }
}
