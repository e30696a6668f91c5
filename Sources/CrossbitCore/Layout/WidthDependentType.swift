/// The width-dependent types of the Crossbit IDL (SPEC §2).
///
/// Each is 4 bytes on the wire in ``WireLayout/ilp32`` and 8 bytes in
/// ``WireLayout/lp64``. The cases say how a value is widened from 32 to
/// 64 bits and how it is narrowed back.
public enum WidthDependentType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sizeT = "size_t"
    case ssizeT = "ssize_t"
    case intptrT = "intptr_t"
    case uintptrT = "uintptr_t"
    case handleT = "handle_t"
    case timeT = "time_t"

    /// How a 32-bit wire value becomes a 64-bit one.
    public enum Widening: Sendable, Hashable {
        case zeroExtend
        case signExtend
    }

    /// How a 64-bit value becomes a 32-bit wire value.
    public enum Narrowing: Sendable, Hashable {
        /// Must fit in `UInt32`, or narrowing fails.
        case checkedUnsigned
        /// Must fit in `Int32`, or narrowing fails.
        case checkedSigned
        /// Keeps the low 32 bits (handles).
        case truncate
    }

    /// The IDL spelling, e.g. `size_t`.
    public var idlName: String { rawValue }

    /// Whether the ILP32 wire type is `int` (signed) rather than `unsigned int`.
    public var isSignedOnWire: Bool {
        switch self {
        case .ssizeT, .intptrT, .timeT: true
        case .sizeT, .uintptrT, .handleT: false
        }
    }

    public var widening: Widening {
        switch self {
        case .sizeT, .uintptrT: .zeroExtend
        case .ssizeT, .intptrT, .timeT, .handleT: .signExtend
        }
    }

    public var narrowing: Narrowing {
        switch self {
        case .sizeT, .uintptrT: .checkedUnsigned
        case .ssizeT, .intptrT, .timeT: .checkedSigned
        case .handleT: .truncate
        }
    }

    public var description: String { rawValue }
}
