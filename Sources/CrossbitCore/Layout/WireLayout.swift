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
