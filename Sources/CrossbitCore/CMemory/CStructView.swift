/// A view of one C struct in memory laid out as rpcgen's C type for ILP32 or
/// LP64: the generator emits one for every IDL struct whose members are all of
/// fixed size (no strings, variable arrays or optional data, which hold pointers).
public protocol CStructView {
    /// The Swift type of the IDL struct.
    associatedtype Value

    /// The IDL name of the struct.
    static var idlName: String { get }
    /// The struct's fingerprint (`crossbit-idl cabi` prints the same): shared
    /// regions record it, so that a reader refuses a region of another type.
    static var fingerprint: UInt64 { get }
    /// `sizeof` of the C struct in a layout.
    static func size(_ layout: WireLayout) -> Int
    /// `_Alignof` of the C struct in a layout.
    static func alignment(_ layout: WireLayout) -> Int

    /// A view of memory already checked for size and alignment.
    init(unchecked memory: CMemory)
    var memory: CMemory { get }

    /// Reads every member.
    func load() throws(CViewError) -> Value
    /// Writes every member; on an error, members before the failing one are written.
    func store(_ value: Value) throws(CViewError)
}

extension CStructView {
    /// A view of the start of `buffer`: checks once that it is large enough
    /// and aligned as the C type is in `layout`.
    public init(_ buffer: UnsafeMutableRawBufferPointer, layout: WireLayout) throws(CViewError) {
        let base = try CStructViews.check(buffer, Self.self, count: 1, layout: layout)
        self.init(unchecked: CMemory(unchecked: base, layout: layout))
    }

    /// Writes this value into `other`, which may be in the other layout.
    public func convert(into other: Self) throws(CViewError) { try other.store(try load()) }
}

/// A view of `count` C structs one after another, as a C array of them.
public struct CArrayView<Element: CStructView>: RandomAccessCollection {
    public let memory: CMemory
    public let count: Int
    /// `sizeof` of one element in this layout.
    public let stride: Int

    /// Checks once that `buffer` holds `count` elements and is aligned for them.
    public init(_ buffer: UnsafeMutableRawBufferPointer, count: Int, layout: WireLayout) throws(CViewError) {
        let base = try CStructViews.check(buffer, Element.self, count: count, layout: layout)
        memory = CMemory(unchecked: base, layout: layout)
        self.count = count
        stride = Element.size(layout)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// Element `index`, which must be in `0..<count` (as for an `Array`).
    public subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count, "index \(index) out of 0..<\(count)")
        return Element(unchecked: memory.advanced(by: index * stride))
    }

    /// Every element; an error names the element's index.
    public func load() throws(CViewError) -> [Element.Value] {
        var values: [Element.Value] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            do { values.append(try self[index].load()) } catch { throw error.inElement(index) }
        }
        return values
    }

    /// Writes `values`, which must be `count` of them.
    public func store(_ values: [Element.Value]) throws(CViewError) {
        try memory.checkCount(values.count, expected: count, member: Element.idlName)
        for (index, value) in values.enumerated() {
            do { try self[index].store(value) } catch { throw error.inElement(index) }
        }
    }

    /// Converts every element into `destination` (the other layout, usually).
    public func convert(into destination: CArrayView<Element>) throws(CViewError) {
        try memory.checkCount(destination.count, expected: count, member: Element.idlName)
        for index in 0..<count {
            do { try self[index].convert(into: destination[index]) } catch { throw error.inElement(index) }
        }
    }
}

enum CStructViews {
    /// The buffer's start, once its size and alignment fit `count` elements.
    static func check<View: CStructView>(
        _ buffer: UnsafeMutableRawBufferPointer, _: View.Type, count: Int, layout: WireLayout
    ) throws(CViewError) -> UnsafeMutableRawPointer {
        let size = View.size(layout)
        let alignment = View.alignment(layout)
        let (needed, overflow) = size.multipliedReportingOverflow(by: count)
        guard count >= 0, !overflow, let base = buffer.baseAddress, buffer.count >= needed else {
            throw CViewError(
                code: .bufferTooSmall,
                message: "\(count) × \(View.idlName) needs \(count) × \(size) bytes in \(layout), "
                    + "the buffer has \(buffer.count)")
        }
        guard UInt(bitPattern: base) % UInt(alignment) == 0 else {
            throw CViewError(
                code: .misaligned,
                message: "\(View.idlName) needs \(alignment)-byte alignment in \(layout), the buffer starts at \(base)")
        }
        return base
    }
}

extension Array where Element: CStructView {
    /// Every element's value (a fixed array of structs inside a struct); an error names the index.
    public func load() throws(CViewError) -> [Element.Value] {
        var values: [Element.Value] = []
        values.reserveCapacity(count)
        for (index, view) in enumerated() {
            do { values.append(try view.load()) } catch { throw error.inElement(index) }
        }
        return values
    }

    /// Writes `values` into the elements, which must be as many.
    public func store(_ values: [Element.Value]) throws(CViewError) {
        guard values.count == count else {
            throw CViewError(code: .wrongCount, message: "\(values.count) elements for a fixed array of \(count)")
        }
        for (index, (view, value)) in zip(self, values).enumerated() {
            do { try view.store(value) } catch { throw error.inElement(index) }
        }
    }
}
