import CrossbitCore
import Testing

@Suite struct MalformedInputTests {
    /// Reads a mix of every variable-length kind, as generated code would.
    static func readSample(_ reader: inout XDRReader) throws(XDRError) {
        _ = try reader.readInt32()
        _ = try reader.readString(maximum: 32)
        _ = try reader.readOpaque(maximum: nil)
        let count = try reader.readLength(maximum: 10, minimumElementSize: 8)
        for _ in 0..<count { _ = try reader.readUnsigned(as: .sizeT) }
        _ = try reader.readHandle()
        _ = try reader.readBool()
        try reader.finish()
    }

    static func sample(layout: WireLayout) throws -> [UInt8] {
        var writer = XDRWriter(layout: layout)
        writer.writeInt32(42)
        try writer.writeString("crossbit", maximum: 32)
        try writer.writeOpaque([1, 2, 3], maximum: nil)
        try writer.writeLength(2, maximum: 10)
        try writer.writeUnsigned(1, as: .sizeT)
        try writer.writeUnsigned(2, as: .sizeT)
        writer.writeHandle(Handle(9))
        writer.writeBool(false)
        return writer.finish()
    }

    @Test func sampleDecodesWhole() throws {
        var reader = XDRReader(bytes: try Self.sample(layout: .lp64), layout: .lp64)
        try Self.readSample(&reader)
    }

    @Test(arguments: WireLayout.allCases)
    func truncationAtEveryOffsetIsAnError(layout: WireLayout) throws {
        let bytes = try Self.sample(layout: layout)
        for cut in 0..<bytes.count {
            var reader = XDRReader(bytes: Array(bytes[..<cut]), layout: layout)
            let error = #expect(throws: XDRError.self) { try Self.readSample(&reader) }
            switch error?.kind {
            case .truncated, .lengthOverRemaining: break
            default: Issue.record("cut at \(cut): unexpected \(String(describing: error))")
            }
        }
    }

    @Test func hugeLengthsAreRejectedBeforeAllocating() {
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        var reader = XDRReader(bytes: huge, layout: .lp64)
        #expect(throws: XDRError(.lengthOverRemaining(length: 0xFFFF_FFFF, remaining: 4), offset: 0)) {
            try reader.readOpaque(maximum: nil)
        }
        reader = XDRReader(bytes: huge, layout: .lp64)
        #expect(throws: XDRError(.lengthOverBound(length: 0xFFFF_FFFF, maximum: 64), offset: 0)) {
            try reader.readString(maximum: 64)
        }
        reader = XDRReader(bytes: huge, layout: .lp64)
        #expect(throws: XDRError(.lengthOverRemaining(length: 0xFFFF_FFFF, remaining: 4), offset: 0)) {
            try reader.readLength(maximum: nil)
        }
    }

    /// Found by make fuzz (fuzz-sample, fuzz-rpcsvc, fuzz-plan): nonzero padding was accepted, and the value then
    /// encoded to other bytes than it was read from.
    @Test func nonzeroPaddingIsRefused() {
        var reader = XDRReader(bytes: [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 16], layout: .ilp32)
        #expect(throws: XDRError(.nonzeroPadding, offset: 11)) { try reader.readOpaque(maximum: nil) }
        reader = XDRReader(bytes: [0, 0, 0, 1, 0x61, 73, 0, 0], layout: .lp64)
        #expect(throws: XDRError(.nonzeroPadding, offset: 5)) { try reader.readString(maximum: nil) }
        reader = XDRReader(bytes: [1, 2, 0, 3], layout: .ilp32)
        #expect(throws: XDRError(.nonzeroPadding, offset: 3)) { try reader.readFixedOpaque(count: 2) }
        reader = XDRReader(bytes: [0, 0, 0, 2, 0x61, 0x62, 0, 0], layout: .ilp32)
        #expect((try? reader.readString(maximum: nil)) == "ab")
    }

    @Test func invalidValuesAreTypedErrors() throws {
        var reader = XDRReader(bytes: [0, 0, 0, 2], layout: .ilp32)
        #expect(throws: XDRError(.invalidBool(2), offset: 0)) { try reader.readBool() }

        reader = XDRReader(bytes: [0, 0, 0, 2, 0xC3, 0x28, 0, 0], layout: .ilp32)
        #expect(throws: XDRError(.invalidUTF8, offset: 4)) { try reader.readString(maximum: nil) }

        enum Color: Int32 { case red = 1 }
        reader = XDRReader(bytes: [0, 0, 0, 5], layout: .ilp32)
        #expect(throws: XDRError(.invalidEnumValue(type: "color", value: 5), offset: 0)) {
            try reader.readEnum(Color.self, name: "color")
        }

        reader = XDRReader(bytes: [0, 0, 0, 1, 0], layout: .ilp32)
        #expect(try reader.readEnum(Color.self, name: "color") == .red)
        #expect(throws: XDRError(.trailingBytes(count: 1), offset: 4)) { try reader.finish() }
    }
}
