public import CrossbitCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A named POSIX shared memory object (`shm_open` + `mmap`) holding an array of
/// one all-fixed-size IDL struct, laid out as the writer's C compiler lays it out,
/// behind a ``RegionHeader``. A reader of the other width learns the layout
/// from the header, checks the type's fingerprint, and reads the elements in
/// place through a `CArrayView` in that layout.
///
/// Names travel over RPC as plain strings, so an unchanged rpcgen client can
/// pass one. The mapping lasts as long as the value; ``unlink()`` removes the name.
public final class SharedRegion: @unchecked Sendable {
    public let name: String
    public let header: RegionHeader
    /// The elements' bytes, after the header.
    public let elements: UnsafeMutableRawBufferPointer
    private let mapping: UnsafeMutableRawPointer
    private let mappedSize: Int
    /// The object's device and inode when it was mapped.
    private let identity: [UInt64]

    private init(
        name: String, header: RegionHeader, mapping: UnsafeMutableRawPointer, mappedSize: Int, identity: [UInt64]
    ) {
        self.name = name
        self.header = header
        self.mapping = mapping
        self.mappedSize = mappedSize
        self.identity = identity
        elements = UnsafeMutableRawBufferPointer(
            start: mapping + RegionHeader.size, count: header.count * header.elementSize)
    }

    deinit {
        // Nothing can be done about a failed munmap here; the mapping ends with the process.
        try? SystemCalls.unmap(mapping, size: mappedSize, name: name)
    }

    /// Creates the region `name` (it must not exist) for `count` elements of
    /// `View`'s type laid out for `layout`, zero-filled, generation 0.
    public static func create<View: CStructView>(
        name: String, _: View.Type, count: Int, layout: WireLayout = .native
    ) throws(SharedRegionError) -> SharedRegion {
        try checkName(name)
        let header = RegionHeader(
            layout: layout, elementSize: View.size(layout), fingerprint: View.fingerprint, count: count)
        let (bytes, overflow) = header.elementSize.multipliedReportingOverflow(by: count)
        guard count >= 0, !overflow, bytes <= Int.max - RegionHeader.size else {
            throw SharedRegionError(code: .tooLarge, message: "\(name): \(count) × \(View.idlName)")
        }
        let size = RegionHeader.size + bytes
        let descriptor = try SystemCalls.open(name, flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        let mapping: UnsafeMutableRawPointer
        let identity: [UInt64]
        do throws(SharedRegionError) {
            try SystemCalls.truncate(descriptor, size: size, name: name)
            identity = try SystemCalls.status(descriptor, name: name).identity
            mapping = try SystemCalls.map(descriptor, size: size, name: name)
            try SystemCalls.close(descriptor, name: name)
        } catch {
            _ = close(descriptor)
            _ = shm_unlink(name)
            throw error
        }
        header.write(to: mapping)
        return SharedRegion(name: name, header: header, mapping: mapping, mappedSize: size, identity: identity)
    }

    /// Opens the existing region `name`, which must hold `View`'s type: the
    /// fingerprint and the element size for the writer's layout must match.
    public static func open<View: CStructView>(name: String, _: View.Type) throws(SharedRegionError) -> SharedRegion {
        try checkName(name)
        let descriptor = try SystemCalls.open(name, flags: O_RDWR, mode: 0)
        let size: Int
        let identity: [UInt64]
        let mapping: UnsafeMutableRawPointer
        do throws(SharedRegionError) {
            (size, identity) = try SystemCalls.status(descriptor, name: name)
            guard size >= RegionHeader.size else {
                throw SharedRegionError(code: .notARegion, message: "\(name) has \(size) bytes, less than a header")
            }
            mapping = try SystemCalls.map(descriptor, size: size, name: name)
            try SystemCalls.close(descriptor, name: name)
        } catch {
            _ = close(descriptor)
            throw error
        }
        do throws(SharedRegionError) {
            let header = try RegionHeader.read(from: mapping, size: size, name: name)
            try check(header, View.self, name: name)
            return SharedRegion(name: name, header: header, mapping: mapping, mappedSize: size, identity: identity)
        } catch {
            try? SystemCalls.unmap(mapping, size: size, name: name)
            throw error
        }
    }

    private static func check<View: CStructView>(
        _ header: RegionHeader, _: View.Type, name: String
    ) throws(SharedRegionError) {
        guard header.fingerprint == View.fingerprint else {
            throw SharedRegionError(
                code: .wrongType,
                message: "\(name) holds a type with fingerprint 0x\(String(header.fingerprint, radix: 16)), not "
                    + "\(View.idlName) (0x\(String(View.fingerprint, radix: 16)))")
        }
        guard header.elementSize == View.size(header.layout) else {
            throw SharedRegionError(
                code: .wrongType,
                message: "\(name): elements of \(header.elementSize) bytes, \(View.idlName) has "
                    + "\(View.size(header.layout)) in \(header.layout)")
        }
    }

    private static func checkName(_ name: String) throws(SharedRegionError) {
        guard name.hasPrefix("/"), name.count >= 2, name.utf8.count < 255, !name.dropFirst().contains("/"),
            !name.utf8.contains(0)
        else {
            throw SharedRegionError(
                code: .invalidName, message: "\"\(name)\": a region name is / and 1 to 253 bytes without /")
        }
    }

    /// The elements in place, in the writer's layout (the view checks size and alignment).
    public func view<View: CStructView>(_: View.Type) throws(CViewError) -> CArrayView<View> {
        try CArrayView<View>(elements, count: header.count, layout: header.layout)
    }

    /// The header's generation counter (an acquiring atomic load): the writer
    /// bumps it after each update, so a reader sees whether anything changed.
    public var generation: UInt64 { counter.pointee.load(ordering: .acquiring) }

    /// Bumps the generation counter (a releasing atomic add) after an update; returns the new value.
    @discardableResult
    public func publish() -> UInt64 { counter.pointee.wrappingAdd(1, ordering: .releasing).newValue }

    private var counter: UnsafeMutablePointer<Atomic<UInt64>> {
        (mapping + RegionHeader.generationOffset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Whether `name` still names the object this region maps: false once the
    /// writer has unlinked it (and perhaps made a new one of that name). A
    /// reader that keeps a region mapped across calls asks this instead of
    /// mapping it again (`shm_open` and `fstat`, no page-table work).
    public func isCurrent() throws(SharedRegionError) -> Bool {
        let descriptor: Int32
        do {
            descriptor = try SystemCalls.open(name, flags: O_RDONLY, mode: 0)
        } catch  where error.errno == ENOENT {
            return false
        }
        let status: (size: Int, identity: [UInt64])
        do throws(SharedRegionError) {
            status = try SystemCalls.status(descriptor, name: name)
        } catch {
            _ = close(descriptor)
            throw error
        }
        try SystemCalls.close(descriptor, name: name)
        return status.identity == identity && status.size == mappedSize
    }

    /// Removes the region's name; mappings, this one included, stay valid.
    public func unlink() throws(SharedRegionError) { try SystemCalls.unlink(name) }
}
