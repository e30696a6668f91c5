/// An IDL `handle_t`: an opaque handle whose raw value has the native width.
///
/// Sent to an ILP32 peer a handle keeps its low 32 bits; coming back it is
/// sign-extended (SPEC §2), the way Windows treats handles across
/// 32/64-bit boundaries.
public struct Handle: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt

    public init(rawValue: UInt) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: UInt) {
        self.rawValue = rawValue
    }

    /// The handle as an ILP32 peer sees it: the low 32 bits.
    @inlinable
    public var narrowed: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// A handle received from an ILP32 peer, sign-extended to native width.
    @inlinable
    public init(widening value: UInt32) {
        rawValue = UInt(bitPattern: Int(Int32(bitPattern: value)))
    }

    public var description: String {
        "0x" + String(rawValue, radix: 16)
    }
}

/// A boxed value, so that a struct may hold an optional of its own type
/// (an IDL linked list, `struct node { node *next; }`).
public indirect enum XDRIndirect<Wrapped> {
    case value(Wrapped)

    @inlinable
    public init(_ value: Wrapped) { self = .value(value) }

    @inlinable
    public var wrapped: Wrapped {
        switch self {
        case .value(let value): value
        }
    }
}

extension XDRIndirect: Sendable where Wrapped: Sendable {}
extension XDRIndirect: Equatable where Wrapped: Equatable {}
extension XDRIndirect: Hashable where Wrapped: Hashable {}

/// An XDR `quadruple` (IEEE 754 binary128), kept as its 16 wire bytes:
/// Swift has no portable 128-bit float.
public struct XDRQuadruple: Sendable, Hashable {
    /// The most significant 8 bytes (sign, exponent, top of the significand).
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}
