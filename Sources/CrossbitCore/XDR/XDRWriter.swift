/// Encodes XDR (RFC 4506) into a growing byte buffer, big-endian, in 4-byte
/// units, with the width-dependent types in the writer's ``layout``.
///
/// Words are stored straight into reserved storage; there are no per-byte
/// appends. Generated code calls these methods field by field.
public struct XDRWriter: Sendable {
    /// The layout width-dependent values are written in.
    public let layout: WireLayout
    @usableFromInline var storage: [UInt8]
    @usableFromInline var count: Int

    /// A writer whose buffer starts with room for `capacity` bytes.
    public init(layout: WireLayout, capacity: Int = 256) {
        self.layout = layout
        storage = [UInt8](repeating: 0, count: Swift.max(capacity, 16))
        count = 0
    }

    /// The bytes written so far.
    public var bytes: [UInt8] { Array(storage[..<count]) }

    /// The bytes written so far, leaving the writer empty.
    public mutating func finish() -> [UInt8] {
        var result: [UInt8] = []
        swap(&result, &storage)
        result.removeLast(result.count - count)
        count = 0
        return result
    }

    /// Forgets the bytes written so far but keeps the buffer, so that a
    /// writer can encode value after value without reallocating.
    public mutating func removeAll() {
        count = 0
    }

    /// Makes room for `size` more bytes.
    @inlinable @inline(__always)
    mutating func reserve(_ size: Int) {
        if storage.count - count < size { grow(size) }
    }

    @usableFromInline
    mutating func grow(_ size: Int) {
        // Doubling keeps word-by-word appends amortised O(1); one large item
        // (a 1 MiB opaque into a fresh writer) gets the room it needs, not the
        // next power of two: zeroing and faulting in twice its size made a
        // Swift server echoing 1 MiB spend most of its time in page faults.
        let newCount = Swift.max(storage.count * 2, count + size, 16)
        // A zeroed buffer (a memset) and one copy: cheaper than appending zeros.
        var larger = [UInt8](repeating: 0, count: newCount)
        let used = count
        larger.withUnsafeMutableBytes { target in
            storage.withUnsafeBytes { source in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                to.copyMemory(from: from, byteCount: used)
            }
        }
        storage = larger
    }

    @inlinable @inline(__always)
    mutating func storeWord<Word: FixedWidthInteger>(_ value: Word) {
        reserve(MemoryLayout<Word>.size)
        let offset = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Word.self) }
        count += MemoryLayout<Word>.size
    }

    // MARK: Fixed-width primitives

    @inlinable public mutating func writeInt32(_ value: Int32) { storeWord(UInt32(bitPattern: value)) }
    @inlinable public mutating func writeUInt32(_ value: UInt32) { storeWord(value) }
    @inlinable public mutating func writeInt64(_ value: Int64) { storeWord(UInt64(bitPattern: value)) }
    @inlinable public mutating func writeUInt64(_ value: UInt64) { storeWord(value) }
    @inlinable public mutating func writeFloat(_ value: Float) { storeWord(value.bitPattern) }
    @inlinable public mutating func writeDouble(_ value: Double) { storeWord(value.bitPattern) }
    @inlinable public mutating func writeBool(_ value: Bool) { storeWord(UInt32(value ? 1 : 0)) }

    @inlinable public mutating func writeQuadruple(_ value: XDRQuadruple) {
        storeWord(value.high)
        storeWord(value.low)
    }

    // MARK: Width-dependent types

    /// Writes `size_t` or `uintptr_t`: 4 bytes in ILP32 (checked), 8 in LP64.
    @inlinable @inline(__always)
    public mutating func writeUnsigned(_ value: UInt, as type: WidthDependentType) throws(XDRError) {
        switch layout {
        case .lp64:
            storeWord(UInt64(value))
        case .ilp32:
            guard let narrow = UInt32(exactly: value) else {
                throw XDRError(.narrowingOverflow(type: type, value: String(value), layout: layout))
            }
            storeWord(narrow)
        }
    }

    /// Writes `ssize_t`, `intptr_t` or `time_t`: 4 bytes in ILP32 (checked), 8 in LP64.
    @inlinable @inline(__always)
    public mutating func writeSigned(_ value: Int, as type: WidthDependentType) throws(XDRError) {
        switch layout {
        case .lp64:
            storeWord(UInt64(bitPattern: Int64(value)))
        case .ilp32:
            guard let narrow = Int32(exactly: value) else {
                throw XDRError(.narrowingOverflow(type: type, value: String(value), layout: layout))
            }
            storeWord(UInt32(bitPattern: narrow))
        }
    }

    /// Writes `handle_t`: its low 32 bits in ILP32, all 64 in LP64.
    @inlinable @inline(__always)
    public mutating func writeHandle(_ value: Handle) {
        switch layout {
        case .lp64: storeWord(UInt64(value.rawValue))
        case .ilp32: storeWord(value.narrowed)
        }
    }

    // MARK: Variable-length data

    /// Writes the length of a variable-length array, checked against its maximum.
    @inlinable @inline(__always)
    public mutating func writeLength(_ length: Int, maximum: UInt32?) throws(XDRError) {
        let limit = maximum ?? UInt32.max
        guard UInt64(length) <= UInt64(limit) else {
            throw XDRError(.lengthOverBound(length: UInt64(length), maximum: limit))
        }
        storeWord(UInt32(length))
    }

    /// Checks that a fixed-size array or opaque has exactly `expected` elements.
    @inlinable
    public func checkFixedCount(_ count: Int, expected: Int) throws(XDRError) {
        guard count == expected else { throw XDRError(.wrongFixedCount(count: count, expected: expected)) }
    }

    /// Writes `opaque[N]`: the bytes and zero padding to a multiple of 4.
    @inlinable
    public mutating func writeFixedOpaque(_ value: [UInt8], count expected: Int) throws(XDRError) {
        try checkFixedCount(value.count, expected: expected)
        value.withUnsafeBytes { appendPadded($0) }
    }

    /// Writes `opaque<N>`: length, bytes, padding.
    @inlinable @inline(__always)
    public mutating func writeOpaque(_ value: [UInt8], maximum: UInt32?) throws(XDRError) {
        try writeLength(value.count, maximum: maximum)
        value.withUnsafeBytes { appendPadded($0) }
    }

    /// Writes `string<N>`: its UTF-8 bytes as `opaque<N>`.
    @inlinable @inline(__always)
    public mutating func writeString(_ value: String, maximum: UInt32?) throws(XDRError) {
        try writeLength(value.utf8.count, maximum: maximum)
        // A native string lends its UTF-8 as it is; others (bridged, say) are made contiguous first.
        if value.utf8.withContiguousStorageIfAvailable({ appendPadded(UnsafeRawBufferPointer($0)) }) == nil {
            var contiguous = value
            contiguous.withUTF8 { appendPadded(UnsafeRawBufferPointer($0)) }
        }
    }

    @inlinable @inline(__always)
    mutating func appendPadded(_ source: UnsafeRawBufferPointer) {
        let padded = (source.count + 3) & ~3
        reserve(padded)
        let offset = count
        storage.withUnsafeMutableBytes { target in
            guard let base = source.baseAddress, let destination = target.baseAddress, padded > 0 else { return }
            // Zero the last word first (the padding), then copy the bytes over it.
            (destination + offset + padded - 4).storeBytes(of: 0, as: UInt32.self)
            (destination + offset).copyMemory(from: base, byteCount: source.count)
        }
        count += padded
    }
}
