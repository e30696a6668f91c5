/// Memory holding C values laid out for one data model, read and written with
/// the wire's rules (``XDRReader``/``XDRWriter``): an ILP32 width-dependent value
/// is widened as it is read and checked as it is written; a handle keeps its low
/// 32 bits and comes back sign-extended.
///
/// A `CMemory` does no bounds checks of its own: the views that hold one check
/// the buffer's size and alignment once, when they are created
/// (``CStructView/init(_:layout:)``), and only use offsets of their C type.
/// Loads and stores are unaligned-safe, so an i386 `quad_t` at offset 4 is fine.
public struct CMemory {
    public let base: UnsafeMutableRawPointer
    public let layout: WireLayout

    /// Memory at `base`, which the caller has checked.
    @inlinable
    public init(unchecked base: UnsafeMutableRawPointer, layout: WireLayout) {
        self.base = base
        self.layout = layout
    }

    /// The value for this memory's layout: an offset or size in ILP32 or in LP64.
    @inlinable @inline(__always)
    public func at(_ ilp32: Int, _ lp64: Int) -> Int { layout == .ilp32 ? ilp32 : lp64 }

    @inlinable
    public func advanced(by offset: Int) -> CMemory { CMemory(unchecked: base + offset, layout: layout) }

    // MARK: Fixed-width values

    @inlinable @inline(__always)
    public func load<T: BitwiseCopyable>(_: T.Type, at offset: Int) -> T {
        base.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    @inlinable @inline(__always)
    public func store<T: BitwiseCopyable>(_ value: T, at offset: Int) {
        base.storeBytes(of: value, toByteOffset: offset, as: T.self)
    }

    /// Stores an `int` or `u_int` of the IDL into a narrower C `char` or `short`.
    @inlinable
    public func store<Wide: FixedWidthInteger, Narrow: FixedWidthInteger & BitwiseCopyable>(
        _ value: Wide, as _: Narrow.Type, at offset: Int, member: String
    ) throws(CViewError) {
        guard let narrow = Narrow(exactly: value) else {
            throw Self.doesNotFit(value, "\(Narrow.self)", member: member)
        }
        store(narrow, at: offset)
    }

    /// A `bool_t`: 0 or 1, anything else is an error as on the wire.
    @inlinable
    public func bool(at offset: Int, member: String) throws(CViewError) -> Bool {
        switch load(Int32.self, at: offset) {
        case 0: return false
        case 1: return true
        case let other:
            throw CViewError(code: .invalidValue, message: "bool_t holds \(other)", path: [member])
        }
    }

    @inlinable
    public func setBool(_ value: Bool, at offset: Int) { store(Int32(value ? 1 : 0), at: offset) }

    /// An enum's value; one with no case is an error, as on the wire.
    @inlinable
    public func enumeration<E: RawRepresentable>(_: E.Type, at offset: Int, member: String) throws(CViewError) -> E
    where E.RawValue == Int32 {
        let raw = load(Int32.self, at: offset)
        guard let value = E(rawValue: raw) else {
            throw CViewError(code: .invalidValue, message: "\(raw) is not a value of \(E.self)", path: [member])
        }
        return value
    }

    // MARK: long: 4 bytes in ILP32, 8 in LP64, 4 on the wire

    /// A C `long` as the IDL's 32-bit `long`: an LP64 value must fit.
    @inlinable
    public func long(at offset: Int, member: String) throws(CViewError) -> Int32 {
        if layout == .ilp32 { return load(Int32.self, at: offset) }
        let wide = load(Int64.self, at: offset)
        guard let value = Int32(exactly: wide) else { throw Self.doesNotFit(wide, "the IDL's long", member: member) }
        return value
    }

    @inlinable
    public func setLong(_ value: Int32, at offset: Int) {
        if layout == .ilp32 { store(value, at: offset) } else { store(Int64(value), at: offset) }
    }

    /// A C `u_long` as the IDL's 32-bit `unsigned long`.
    @inlinable
    public func unsignedLong(at offset: Int, member: String) throws(CViewError) -> UInt32 {
        if layout == .ilp32 { return load(UInt32.self, at: offset) }
        let wide = load(UInt64.self, at: offset)
        guard let value = UInt32(exactly: wide) else {
            throw Self.doesNotFit(wide, "the IDL's unsigned long", member: member)
        }
        return value
    }

    @inlinable
    public func setUnsignedLong(_ value: UInt32, at offset: Int) {
        if layout == .ilp32 { store(value, at: offset) } else { store(UInt64(value), at: offset) }
    }

    // MARK: Width-dependent types

    /// `size_t` or `uintptr_t`, zero-extended from ILP32.
    @inlinable @inline(__always)
    public func unsigned(at offset: Int) -> UInt {
        layout == .ilp32 ? UInt(load(UInt32.self, at: offset)) : UInt(load(UInt64.self, at: offset))
    }

    /// Stores `size_t` or `uintptr_t`; in ILP32 it must fit 32 bits.
    @inlinable @inline(__always)
    public func setUnsigned(
        _ value: UInt, _ type: WidthDependentType, at offset: Int, member: String
    )
        throws(CViewError)
    {
        guard layout == .ilp32 else { return store(UInt64(value), at: offset) }
        guard let narrow = UInt32(exactly: value) else {
            throw Self.doesNotFit(value, "an ILP32 \(type)", member: member)
        }
        store(narrow, at: offset)
    }

    /// `ssize_t`, `intptr_t` or `time_t`, sign-extended from ILP32.
    @inlinable @inline(__always)
    public func signed(at offset: Int) -> Int {
        layout == .ilp32 ? Int(load(Int32.self, at: offset)) : Int(load(Int64.self, at: offset))
    }

    /// Stores `ssize_t`, `intptr_t` or `time_t`; in ILP32 it must fit 32 bits.
    @inlinable @inline(__always)
    public func setSigned(
        _ value: Int, _ type: WidthDependentType, at offset: Int, member: String
    )
        throws(CViewError)
    {
        guard layout == .ilp32 else { return store(Int64(value), at: offset) }
        guard let narrow = Int32(exactly: value) else {
            throw Self.doesNotFit(value, "an ILP32 \(type)", member: member)
        }
        store(narrow, at: offset)
    }

    /// `handle_t`: an ILP32 handle is sign-extended, as it is from the wire.
    @inlinable @inline(__always)
    public func handle(at offset: Int) -> Handle {
        layout == .ilp32 ? Handle(widening: load(UInt32.self, at: offset)) : Handle(UInt(load(UInt64.self, at: offset)))
    }

    /// Stores `handle_t`: its low 32 bits in ILP32, as on the wire.
    @inlinable @inline(__always)
    public func setHandle(_ value: Handle, at offset: Int) {
        if layout == .ilp32 { store(value.narrowed, at: offset) } else { store(UInt64(value.rawValue), at: offset) }
    }

    // MARK: Fixed-size arrays

    /// Checks the element count of an array about to be stored.
    @inlinable
    public func checkCount(_ count: Int, expected: Int, member: String) throws(CViewError) {
        guard count == expected else {
            throw CViewError(
                code: .wrongCount, message: "\(count) elements for a fixed array of \(expected)", path: [member])
        }
    }

    /// `opaque name[N]`: N bytes as they are.
    @inlinable
    public func bytes(at offset: Int, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    @inlinable
    public func setBytes(_ value: [UInt8], at offset: Int, count: Int, member: String) throws(CViewError) {
        try checkCount(value.count, expected: count, member: member)
        value.withUnsafeBytes { source in
            if let start = source.baseAddress { (base + offset).copyMemory(from: start, byteCount: count) }
        }
    }

    @usableFromInline
    static func doesNotFit(_ value: some BinaryInteger, _ target: String, member: String) -> CViewError {
        CViewError(code: .valueDoesNotFit, message: "\(value) does not fit \(target)", path: [member])
    }
}
