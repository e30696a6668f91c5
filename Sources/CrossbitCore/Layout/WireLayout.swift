/// The wire layout of the width-dependent types: which C data model the
/// peer on the other end of a connection was built for.
///
/// Everything on the wire other than the width-dependent types of
/// ``WidthDependentType`` is identical in both layouts.
public enum WireLayout: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 32-bit `int`, `long` and pointers (i386, `gcc -m32`).
    case ilp32
    /// 32-bit `int`, 64-bit `long` and pointers (x86-64, `gcc -m64`).
    case lp64

    /// The layout of the process running this code.
    public static var native: WireLayout {
        MemoryLayout<Int>.size == 8 ? .lp64 : .ilp32
    }

    /// The size in bytes of a width-dependent value on the wire.
    public var widthDependentSize: Int {
        switch self {
        case .ilp32: 4
        case .lp64: 8
        }
    }

    public var description: String { rawValue }
}

extension WireLayout {
    /// The layout that is not this one.
    public var other: WireLayout { self == .ilp32 ? .lp64 : .ilp32 }

    /// What to tell someone whose bytes did not decode in the layout the
    /// endpoint speaks but do in the other: the most common mistake with two
    /// layouts is a peer built for the other one, and a bare decode error
    /// ("truncated data") does not point at it.
    ///
    /// `caller` is the layout the bytes decode in, `endpoint` the one they
    /// were expected in: "this looks like an LP64 caller on an ILP32 endpoint".
    public static func mismatchHint(caller: WireLayout, endpoint: WireLayout) -> String {
        "this looks like an \(caller.rawValue.uppercased()) caller on an \(endpoint.rawValue.uppercased()) endpoint"
    }
}
