import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import PropertyBased
import Testing

/// The generated checked views (`shared_views.x`): LP64 → ILP32 conversion
/// keeps every value that fits and names the member of one that does not.
@Suite struct ViewTests {
    typealias S = SharedViews

    static let handle = Gen.uint().map { Handle($0) }
    static let inner = zip(handle, Gen.int64()).map { S.SvInner(handle: $0, stamp: $1) }
    /// Width-dependent members anywhere in 64 bits, sometimes within 32.
    static let wideUnsigned = Gen.oneOf(Gen.uint(), Gen.uint(in: 0...UInt(UInt32.max)))
    static let wideSigned = Gen.oneOf(Gen.int(), Gen.int(in: Int(Int32.min)...Int(Int32.max)))

    static let item = zip(
        zip(wideUnsigned, wideSigned, handle, Gen.int64(), Gen.int32(in: -128...127), Gen.int32(in: -32768...32767)),
        zip(
            Gen.uint32(in: 0...255), Gen.uint32(in: 0...65535), Gen.int32(), Gen.uint32(), Gen.bool,
            Gen<S.SvState>.case),
        zip(Gen.double(in: -1e12...1e12), Gen.float(in: -1e6...1e6), wideSigned.array(of: 3), Gen.uint8().array(of: 6)),
        zip(inner, inner.array(of: 2), wideUnsigned, wideSigned, Gen.uint64(), Gen.int32(), Gen.uint32())
    ).map { a, b, c, d in
        S.SvItem(
            size: a.0, offset: a.1, handle: a.2, stamp: a.3, c: a.4, s: a.5, uc: b.0, us: b.1, l: b.2, ul: b.3,
            flag: b.4, state: b.5, ratio: c.0, scale: c.1, times: c.2, tag: c.3, inner: d.0, pair: d.1,
            address: d.2, delta: d.3, big: d.4, i: d.5, u: d.6)
    }

    /// The first member, in declaration order, whose value an ILP32 C struct cannot hold.
    static func firstMisfit(_ value: S.SvItem) -> String? {
        if UInt32(exactly: value.size) == nil { return "size" }
        if Int32(exactly: value.offset) == nil { return "offset" }
        if let index = value.times.firstIndex(where: { Int32(exactly: $0) == nil }) { return "times[\(index)]" }
        if UInt32(exactly: value.address) == nil { return "address" }
        if Int32(exactly: value.delta) == nil { return "delta" }
        return nil
    }

    /// What an ILP32 reader sees of a value that fits: handles keep their low 32 bits, sign-extended.
    static func narrowed(_ value: S.SvItem) -> S.SvItem {
        func narrow(_ handle: Handle) -> Handle { Handle(widening: handle.narrowed) }
        var expected = value
        expected.handle = narrow(value.handle)
        expected.inner.handle = narrow(value.inner.handle)
        for index in expected.pair.indices { expected.pair[index].handle = narrow(value.pair[index].handle) }
        return expected
    }

    static func withBuffer<R>(_ size: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        defer { buffer.deallocate() }
        return try body(buffer)
    }

    @Test func lp64ToILP32KeepsWhatFitsAndNamesWhatDoesNot() async {
        await propertyCheck(count: 300, input: Self.item) { value in
            Self.withBuffer(256) { wide in
                Self.withBuffer(256) { narrow in
                    do throws(CViewError) {
                        let lp64 = try S.SvItemView(wide, layout: .lp64)
                        let ilp32 = try S.SvItemView(narrow, layout: .ilp32)
                        try lp64.store(value)
                        #expect(try lp64.load() == value)
                        do throws(CViewError) {
                            try lp64.convert(into: ilp32)
                            #expect(Self.firstMisfit(value) == nil)
                            #expect(try ilp32.load() == Self.narrowed(value))
                        } catch {
                            #expect(error.code == .valueDoesNotFit)
                            #expect(error.pathDescription == Self.firstMisfit(value), "\(error)")
                        }
                    } catch {
                        Issue.record("\(error)")
                    }
                }
            }
        }
    }

    @Test func ilp32ToLP64AlwaysFitsAndSignExtendsHandles() async {
        let fitting = Self.item.map { value in
            var value = Self.narrowed(value)
            value.size = UInt(UInt32(truncatingIfNeeded: value.size))
            value.offset = Int(Int32(truncatingIfNeeded: value.offset))
            value.times = value.times.map { Int(Int32(truncatingIfNeeded: $0)) }
            value.address = UInt(UInt32(truncatingIfNeeded: value.address))
            value.delta = Int(Int32(truncatingIfNeeded: value.delta))
            return value
        }
        await propertyCheck(count: 200, input: fitting) { value in
            Self.withBuffer(256) { narrow in
                Self.withBuffer(256) { wide in
                    #expect(throws: Never.self) {
                        let ilp32 = try S.SvItemView(narrow, layout: .ilp32)
                        let lp64 = try S.SvItemView(wide, layout: .lp64)
                        try ilp32.store(value)
                        let source = try CArrayView<S.SvItemView>(narrow, count: 1, layout: .ilp32)
                        try source.convert(into: CArrayView<S.SvItemView>(wide, count: 1, layout: .lp64))
                        #expect(try lp64.load() == value)
                        #expect(try ilp32.handle().rawValue == value.handle.rawValue)
                    }
                }
            }
        }
    }

    @Test func viewsCheckSizeAndAlignmentOnceAtCreation() throws {
        #expect(S.SvItemView.size(.ilp32) == 136 && S.SvItemView.alignment(.ilp32) == 4)
        #expect(S.SvItemView.size(.lp64) == 192 && S.SvItemView.alignment(.lp64) == 8)
        Self.withBuffer(400) { buffer in
            let short = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<135])
            let small = #expect(throws: CViewError.self) { try S.SvItemView(short, layout: .ilp32) }
            #expect(small?.code == .bufferTooSmall)
            let odd = UnsafeMutableRawBufferPointer(rebasing: buffer[4..<400])
            #expect(throws: Never.self) { try S.SvItemView(odd, layout: .ilp32) }
            let misaligned = #expect(throws: CViewError.self) { try S.SvItemView(odd, layout: .lp64) }
            #expect(misaligned?.code == .misaligned)
            let array = #expect(throws: CViewError.self) {
                try CArrayView<S.SvItemView>(buffer, count: 3, layout: .lp64)
            }
            #expect(array?.code == .bufferTooSmall)
        }
    }

    @Test func memoryTheTypeCannotHoldIsATypedErrorNamingTheMember() throws {
        try Self.withBuffer(256) { buffer in
            let view = try S.SvItemView(buffer, layout: .lp64)
            buffer.storeBytes(of: Int32(7), toByteOffset: 60, as: Int32.self)
            let state = #expect(throws: CViewError.self) { try view.load() }
            #expect(state?.code == .invalidValue && state?.pathDescription == "state")
            buffer.storeBytes(of: Int64(1) << 40, toByteOffset: 40, as: Int64.self)
            let long = #expect(throws: CViewError.self) { try view.l() }
            #expect(long?.code == .valueDoesNotFit && long?.pathDescription == "l")
            let char = #expect(throws: CViewError.self) { try view.setC(200) }
            #expect(char?.pathDescription == "c")
            let pair = #expect(throws: CViewError.self) { try view.setPair([]) }
            #expect(pair?.code == .wrongCount && pair?.pathDescription == "pair")
        }
    }

    @Test func onlyAllFixedSizeStructsGetViews() throws {
        let module = try IDLFrontEnd.load(path: Paths.repositoryRoot + "/Tests/IDL/shared_views.x")
        let text = try #require(try SwiftGenerator.generate([module]).first).contents
        #expect(text.contains("struct SvItemView: CStructView") && text.contains("struct SvInnerView: CStructView"))
        // sv_named holds a string: a pointer, meaningless in another process.
        #expect(!text.contains("SvNamedView"))
        #expect(S.SvItemView.fingerprint != S.SvInnerView.fingerprint)
    }
}
