public import CrossbitCore

/// The 64 bytes at the start of every shared region, the same in both data
/// models (every field at its natural offset, no padding), so that a C program
/// of either width writes and reads it as a plain struct:
///
/// ```c
/// struct crossbit_region_header {          /* offset */
///     char     magic[8];                   /*  0: "CRXBSHM1" */
///     uint32_t version;                    /*  8: 1 */
///     uint32_t layout;                     /* 12: the writer's: 1 = ILP32, 2 = LP64 */
///     uint32_t element_size;               /* 16: sizeof one element in that layout */
///     uint32_t reserved;                   /* 20: 0 */
///     uint64_t fingerprint;                /* 24: the type's, as crossbit-idl cabi prints it */
///     uint64_t count;                      /* 32: elements after the header */
///     uint64_t generation;                 /* 40: bumped (atomically) after each update */
///     uint64_t data_offset;                /* 48: 64 */
///     uint64_t reserved2;                  /* 56: 0 */
/// };
/// ```
public struct RegionHeader: Sendable, Hashable {
    public static let size = 64
    public static let magic: [UInt8] = Array("CRXBSHM1".utf8)
    public static let version: UInt32 = 1
    static let generationOffset = 40

    /// The layout the writer laid the elements out in.
    public var layout: WireLayout
    public var elementSize: Int
    public var fingerprint: UInt64
    public var count: Int

    public init(layout: WireLayout, elementSize: Int, fingerprint: UInt64, count: Int) {
        self.layout = layout
        self.elementSize = elementSize
        self.fingerprint = fingerprint
        self.count = count
    }

    /// The layout's number in the header.
    static func code(_ layout: WireLayout) -> UInt32 { layout == .ilp32 ? 1 : 2 }

    /// Writes the header (generation 0) at `base`.
    func write(to base: UnsafeMutableRawPointer) {
        for (index, byte) in Self.magic.enumerated() { base.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
        base.storeBytes(of: Self.version, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: Self.code(layout), toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt32(elementSize), toByteOffset: 16, as: UInt32.self)
        base.storeBytes(of: UInt32(0), toByteOffset: 20, as: UInt32.self)
        base.storeBytes(of: fingerprint, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: UInt64(count), toByteOffset: 32, as: UInt64.self)
        base.storeBytes(of: UInt64(0), toByteOffset: 40, as: UInt64.self)
        base.storeBytes(of: UInt64(Self.size), toByteOffset: 48, as: UInt64.self)
        base.storeBytes(of: UInt64(0), toByteOffset: 56, as: UInt64.self)
    }

    /// Reads and checks the header of `name`, mapped at `base` with `size` bytes.
    static func read(from base: UnsafeRawPointer, size: Int, name: String) throws(SharedRegionError) -> RegionHeader {
        let magic = (0..<8).map { base.load(fromByteOffset: $0, as: UInt8.self) }
        let version = base.load(fromByteOffset: 8, as: UInt32.self)
        guard magic == Self.magic, version == Self.version,
            base.load(fromByteOffset: 48, as: UInt64.self) == UInt64(Self.size)
        else {
            throw SharedRegionError(
                code: .notARegion, message: "\(name) has no Crossbit region header (version \(version))")
        }
        let layout: WireLayout
        switch base.load(fromByteOffset: 12, as: UInt32.self) {
        case 1: layout = .ilp32
        case 2: layout = .lp64
        case let other:
            throw SharedRegionError(code: .notARegion, message: "\(name): unknown layout \(other) in its header")
        }
        let elementSize = Int(base.load(fromByteOffset: 16, as: UInt32.self))
        let count = base.load(fromByteOffset: 32, as: UInt64.self)
        let (bytes, overflow) = UInt64(elementSize).multipliedReportingOverflow(by: count)
        guard !overflow, bytes <= UInt64(Int.max - Self.size) else {
            throw SharedRegionError(code: .tooLarge, message: "\(name): \(count) elements of \(elementSize) bytes")
        }
        guard Self.size + Int(bytes) <= size else {
            throw SharedRegionError(
                code: .truncated,
                message: "\(name) has \(size) bytes, its header says \(Self.size) + \(count) × \(elementSize)")
        }
        return RegionHeader(
            layout: layout, elementSize: elementSize, fingerprint: base.load(fromByteOffset: 24, as: UInt64.self),
            count: Int(count))
    }
}
