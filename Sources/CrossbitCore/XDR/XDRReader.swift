/// Decodes XDR (RFC 4506) from contiguous bytes, with the width-dependent
/// types in the reader's ``layout``.
///
/// Every read checks the remaining bytes first; every length is checked
/// against the remaining bytes and the type's maximum before anything is
/// allocated.
public struct XDRReader: Sendable {
    /// The layout width-dependent values are read in.
    public let layout: WireLayout
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var position: Int

    /// The offset of the next byte to read.
    public var offset: Int { position }

    @usableFromInline var depth = 0
    /// How deeply optional data may nest (a linked list's length) before
    /// decoding fails instead of exhausting the stack. Each level is a
    /// (recursive) call: 2,000 levels fit an 8 MiB stack even in debug builds.
    public let maximumDepth: Int

    public init(bytes: [UInt8], layout: WireLayout, maximumDepth: Int = 2_000) {
        self.bytes = bytes
        self.layout = layout
        self.maximumDepth = maximumDepth
        position = 0
    }

    /// The number of bytes not read yet.
    @inlinable
    public var remaining: Int { bytes.count - offset }

    /// Throws unless every byte has been read.
    public func finish() throws(XDRError) {
        guard remaining == 0 else { throw XDRError(.trailingBytes(count: remaining), offset: offset) }
    }

    @inlinable @inline(__always)
    func need(_ size: Int) throws(XDRError) {
        guard size <= remaining else {
            throw XDRError(.truncated(needed: size, remaining: remaining), offset: offset)
        }
    }

    @inlinable @inline(__always)
    mutating func loadWord<Word: FixedWidthInteger>(_: Word.Type) throws(XDRError) -> Word {
        try need(MemoryLayout<Word>.size)
        let start = offset
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: Word.self) }
        position = start &+ MemoryLayout<Word>.size
        return Word(bigEndian: raw)
    }

    // MARK: Fixed-width primitives

    @inlinable @inline(__always) public mutating func readInt32() throws(XDRError) -> Int32 {
        Int32(bitPattern: try loadWord(UInt32.self))
    }
    @inlinable @inline(__always) public mutating func readUInt32() throws(XDRError) -> UInt32 {
        try loadWord(UInt32.self)
    }
    @inlinable @inline(__always) public mutating func readInt64() throws(XDRError) -> Int64 {
        Int64(bitPattern: try loadWord(UInt64.self))
    }
    @inlinable @inline(__always) public mutating func readUInt64() throws(XDRError) -> UInt64 {
        try loadWord(UInt64.self)
    }
    @inlinable @inline(__always) public mutating func readFloat() throws(XDRError) -> Float {
        Float(bitPattern: try loadWord(UInt32.self))
    }
    @inlinable @inline(__always) public mutating func readDouble() throws(XDRError) -> Double {
        Double(bitPattern: try loadWord(UInt64.self))
    }

    @inlinable @inline(__always) public mutating func readBool() throws(XDRError) -> Bool {
        let start = offset
        switch try loadWord(UInt32.self) {
        case 0: return false
        case 1: return true
        case let other: throw XDRError(.invalidBool(other), offset: start)
        }
    }

    @inlinable @inline(__always) public mutating func readQuadruple() throws(XDRError) -> XDRQuadruple {
        try need(16)
        let high = try loadWord(UInt64.self)
        return XDRQuadruple(high: high, low: try loadWord(UInt64.self))
    }

    /// Reads the flag of optional data (`T *name`). When it is set, the caller
    /// decodes the value and then calls ``endOptional()``.
    @inlinable
    public mutating func beginOptional() throws(XDRError) -> Bool {
        guard try readBool() else { return false }
        guard depth < maximumDepth else {
            throw XDRError(.nestingTooDeep(maximum: maximumDepth), offset: position - 4)
        }
        depth += 1
        return true
    }

    /// Ends a value begun by ``beginOptional()``.
    @inlinable
    public mutating func endOptional() {
        depth -= 1
    }

    /// Reads an enum's value, returning it with its offset for error reports.
    @inlinable
    public mutating func readEnum<E: RawRepresentable>(_: E.Type, name: String) throws(XDRError) -> E
    where E.RawValue == Int32 {
        let start = offset
        let raw = try readInt32()
        guard let value = E(rawValue: raw) else {
            throw XDRError(.invalidEnumValue(type: name, value: raw), offset: start)
        }
        return value
    }

    /// The error for a union discriminant with no arm, at the discriminant's offset.
    public func invalidDiscriminant(_ value: Int64, union name: String) -> XDRError {
        XDRError(.invalidDiscriminant(type: name, value: value), offset: offset - 4)
    }

    // MARK: Width-dependent types

    /// Reads `size_t` or `uintptr_t`, zero-extending an ILP32 value.
    @inlinable @inline(__always)
    public mutating func readUnsigned(as type: WidthDependentType) throws(XDRError) -> UInt {
        switch layout {
        case .ilp32:
            return UInt(try loadWord(UInt32.self))
        case .lp64:
            let start = offset
            let wide = try loadWord(UInt64.self)
            guard let value = UInt(exactly: wide) else {
                throw XDRError(.narrowingOverflow(type: type, value: String(wide), layout: .lp64), offset: start)
            }
            return value
        }
    }

    /// Reads `ssize_t`, `intptr_t` or `time_t`, sign-extending an ILP32 value.
    @inlinable @inline(__always)
    public mutating func readSigned(as type: WidthDependentType) throws(XDRError) -> Int {
        switch layout {
        case .ilp32:
            return Int(Int32(bitPattern: try loadWord(UInt32.self)))
        case .lp64:
            let start = offset
            let wide = Int64(bitPattern: try loadWord(UInt64.self))
            guard let value = Int(exactly: wide) else {
                throw XDRError(.narrowingOverflow(type: type, value: String(wide), layout: .lp64), offset: start)
            }
            return value
        }
    }

    /// Reads `handle_t`, sign-extending an ILP32 value.
    @inlinable @inline(__always)
    public mutating func readHandle() throws(XDRError) -> Handle {
        switch layout {
        case .ilp32: Handle(widening: try loadWord(UInt32.self))
        case .lp64: Handle(rawValue: UInt(truncatingIfNeeded: try loadWord(UInt64.self)))
        }
    }

    // MARK: Variable-length data

    /// Reads the length of a variable-length array, checked against its maximum
    /// and against the bytes left for elements of at least `minimumElementSize` bytes.
    @inlinable @inline(__always)
    public mutating func readLength(maximum: UInt32?, minimumElementSize: Int = 4) throws(XDRError) -> Int {
        let start = offset
        let length = try loadWord(UInt32.self)
        if let maximum, length > maximum {
            throw XDRError(.lengthOverBound(length: UInt64(length), maximum: maximum), offset: start)
        }
        // In 64 bits (also on 32-bit hosts), and without a division.
        guard UInt64(length) &* UInt64(Swift.max(minimumElementSize, 1)) <= UInt64(remaining) else {
            throw XDRError(.lengthOverRemaining(length: length, remaining: remaining), offset: start)
        }
        return Int(length)
    }

    /// Checks that a fixed-size array of `count` elements of at least
    /// `minimumElementSize` bytes can fit in the bytes left.
    @inlinable
    public func checkRemaining(count: Int, minimumElementSize: Int) throws(XDRError) {
        guard count >= 0, UInt64(count) &* UInt64(Swift.max(minimumElementSize, 1)) <= UInt64(remaining) else {
            let needed = Int(clamping: UInt64(Swift.max(count, 0)) &* UInt64(Swift.max(minimumElementSize, 1)))
            throw XDRError(.truncated(needed: needed, remaining: remaining), offset: position)
        }
    }

    /// Passes over `length` bytes and their padding without copying them
    /// (a validation scan reads what it forwards as it came).
    @inlinable @inline(__always)
    public mutating func skip(_ length: Int) throws(XDRError) {
        let padded = (length + 3) & ~3
        try need(padded)
        position += padded
    }

    /// Passes over every byte left: what follows cannot be checked, and is taken as it is.
    public mutating func skipRemaining() {
        position = bytes.count
    }

    /// Reads `opaque[N]`.
    @inlinable @inline(__always)
    public mutating func readFixedOpaque(count: Int) throws(XDRError) -> [UInt8] {
        try readPadded(count)
    }

    /// Reads `opaque<N>`.
    @inlinable @inline(__always)
    public mutating func readOpaque(maximum: UInt32?) throws(XDRError) -> [UInt8] {
        try readPadded(readLength(maximum: maximum, minimumElementSize: 1))
    }

    /// Reads `string<N>`; bytes that are not UTF-8 are an error.
    @inlinable @inline(__always)
    public mutating func readString(maximum: UInt32?) throws(XDRError) -> String {
        let length = try readLength(maximum: maximum, minimumElementSize: 1)
        let start = position
        try need((length + 3) & ~3)
        let string = bytes.withUnsafeBufferPointer { buffer in
            Self.string(UnsafeBufferPointer(rebasing: buffer[start..<(start + length)]))
        }
        guard let string else { throw XDRError(.invalidUTF8, offset: start) }
        try checkPadding(after: start + length)
        position = start + ((length + 3) & ~3)
        return string
    }

    /// The string of valid UTF-8 bytes, or nil. ASCII, the common case, takes
    /// a fast path.
    @usableFromInline
    static func string(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        if isASCII(UnsafeRawBufferPointer(utf8)) { return String(decoding: utf8, as: UTF8.self) }
        return String(validating: utf8, as: UTF8.self)
    }

    /// Whether every byte is below 0x80, eight bytes at a time.
    @usableFromInline
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Throws unless the padding from `end` to the next multiple of four is zero (the caller checked it is there).
    @inlinable @inline(__always)
    func checkPadding(after end: Int) throws(XDRError) {
        var index = end
        while index & 3 != 0 {
            guard bytes[index] == 0 else { throw XDRError(.nonzeroPadding, offset: index) }
            index += 1
        }
    }

    @inlinable @inline(__always)
    mutating func readPadded(_ length: Int) throws(XDRError) -> [UInt8] {
        let padded = (length + 3) & ~3
        try need(padded)
        let start = position
        try checkPadding(after: start + length)
        position = start + padded
        // Copying from a buffer pointer is the quickest way to a new array.
        return bytes.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return [] }
            return Array(UnsafeBufferPointer(start: base + start, count: length))
        }
    }
}
