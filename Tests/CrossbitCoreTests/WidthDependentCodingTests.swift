import CrossbitCore
import PropertyBased
import Testing

@Suite struct WidthDependentCodingTests {
    static let unsignedTypes: [WidthDependentType] = [.sizeT, .uintptrT]
    static let signedTypes: [WidthDependentType] = [.ssizeT, .intptrT, .timeT]

    @Test(arguments: WireLayout.allCases)
    func wireSizeFollowsTheLayout(layout: WireLayout) throws {
        var writer = XDRWriter(layout: layout)
        try writer.writeUnsigned(7, as: .sizeT)
        try writer.writeSigned(-7, as: .timeT)
        writer.writeHandle(Handle(7))
        #expect(writer.bytes.count == 3 * layout.widthDependentSize)
    }

    @Test(arguments: unsignedTypes)
    func unsignedZeroExtendsAndNarrowsChecked(type: WidthDependentType) throws {
        let wire: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFE]
        var reader = XDRReader(bytes: wire, layout: .ilp32)
        #expect(try reader.readUnsigned(as: type) == 0xFFFF_FFFE)

        var writer = XDRWriter(layout: .ilp32)
        try writer.writeUnsigned(0xFFFF_FFFF, as: type)
        #expect(writer.bytes == [0xFF, 0xFF, 0xFF, 0xFF])
        let error = #expect(throws: XDRError.self) { try writer.writeUnsigned(0x1_0000_0000, as: type) }
        #expect(error?.kind == .narrowingOverflow(type: type, value: "4294967296", layout: .ilp32))
        #expect(error?.description.contains("4294967296") == true)
    }

    @Test(arguments: signedTypes)
    func signedSignExtendsAndNarrowsChecked(type: WidthDependentType) throws {
        var reader = XDRReader(bytes: [0xFF, 0xFF, 0xFF, 0xFE], layout: .ilp32)
        #expect(try reader.readSigned(as: type) == -2)

        var writer = XDRWriter(layout: .ilp32)
        try writer.writeSigned(Int(Int32.min), as: type)
        try writer.writeSigned(Int(Int32.max), as: type)
        #expect(writer.bytes == [0x80, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF])
        for bad in [Int(Int32.max) + 1, Int(Int32.min) - 1] {
            let error = #expect(throws: XDRError.self) { try writer.writeSigned(bad, as: type) }
            #expect(error?.kind == .narrowingOverflow(type: type, value: String(bad), layout: .ilp32))
        }
    }

    @Test func handleTruncatesAndSignExtends() throws {
        var writer = XDRWriter(layout: .ilp32)
        writer.writeHandle(Handle(0x1234_5678_8000_0001))
        #expect(writer.bytes == [0x80, 0, 0, 1])
        var reader = XDRReader(bytes: writer.bytes, layout: .ilp32)
        #expect(try reader.readHandle() == Handle(0xFFFF_FFFF_8000_0001))

        var wide = XDRWriter(layout: .lp64)
        wide.writeHandle(Handle(0x1234_5678_8000_0001))
        #expect(wide.bytes == [0x12, 0x34, 0x56, 0x78, 0x80, 0, 0, 1])
    }

    @Test func errorsNameTheirFieldPath() {
        let error = XDRError(.narrowingOverflow(type: .sizeT, value: "5000000000", layout: .ilp32))
            .inField("size").inElement(3).inField("items").inField("list")
        #expect(error.pathDescription == "list.items[3].size")
        #expect(error.description == "list.items[3].size: size_t value 5000000000 does not fit the ilp32 layout")
        let rpc = RPCError(error, code: .garbageArguments, context: "PING")
        #expect(rpc.code == .narrowingOverflow)
    }

    /// Widening a 32-bit wire value and narrowing it again gives the same bytes.
    @Test(arguments: WidthDependentType.allCases)
    func wideningThenNarrowingIsIdentity(type: WidthDependentType) async {
        await propertyCheck(count: 300, input: Gen.uint32()) { wire in
            var source = XDRWriter(layout: .ilp32)
            source.writeUInt32(wire)
            var reader = XDRReader(bytes: source.bytes, layout: .ilp32)
            var writer = XDRWriter(layout: .ilp32)
            do {
                switch type {
                case .sizeT, .uintptrT: try writer.writeUnsigned(reader.readUnsigned(as: type), as: type)
                case .ssizeT, .intptrT, .timeT: try writer.writeSigned(reader.readSigned(as: type), as: type)
                case .handleT: writer.writeHandle(try reader.readHandle())
                }
            } catch {
                Issue.record("\(error)")
            }
            #expect(writer.bytes == source.bytes)
        }
    }

    /// A native value that fits 32 bits survives narrowing to ILP32 and widening back.
    @Test func narrowingThenWideningIsIdentityWhenItFits() async {
        await propertyCheck(count: 300, input: Gen.int64(), Gen.uint64()) { signed, unsigned in
            for layout in WireLayout.allCases {
                let fitsSigned = layout == .lp64 || Int32(exactly: signed) != nil
                let fitsUnsigned = layout == .lp64 || UInt32(exactly: unsigned) != nil
                #expect(Self.signedRoundTrip(Int(signed), layout: layout) == (fitsSigned ? Int(signed) : nil))
                #expect(Self.unsignedRoundTrip(UInt(unsigned), layout: layout) == (fitsUnsigned ? UInt(unsigned) : nil))
            }
        }
    }

    static func signedRoundTrip(_ value: Int, layout: WireLayout) -> Int? {
        var writer = XDRWriter(layout: layout)
        guard (try? writer.writeSigned(value, as: .ssizeT)) != nil else { return nil }
        var reader = XDRReader(bytes: writer.bytes, layout: layout)
        return try? reader.readSigned(as: .ssizeT)
    }

    static func unsignedRoundTrip(_ value: UInt, layout: WireLayout) -> UInt? {
        var writer = XDRWriter(layout: layout)
        guard (try? writer.writeUnsigned(value, as: .sizeT)) != nil else { return nil }
        var reader = XDRReader(bytes: writer.bytes, layout: layout)
        return try? reader.readUnsigned(as: .sizeT)
    }
}
