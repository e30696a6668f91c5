import CrossbitCore
import Testing

@Suite struct XDRPrimitiveTests {
    @Test(arguments: WireLayout.allCases)
    func fixedWidthPrimitivesAreBigEndian(layout: WireLayout) throws {
        var writer = XDRWriter(layout: layout, capacity: 0)
        writer.writeInt32(-2)
        writer.writeUInt32(0x0102_0304)
        writer.writeInt64(-3)
        writer.writeUInt64(0x0102_0304_0506_0708)
        writer.writeBool(true)
        writer.writeFloat(1.5)
        writer.writeDouble(-2.25)
        writer.writeQuadruple(XDRQuadruple(high: 1, low: 2))
        let bytes = writer.finish()
        #expect(Array(bytes[0..<8]) == [0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4])
        #expect(Array(bytes[8..<24]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(bytes[24..<32]) == [0, 0, 0, 1, 0x3F, 0xC0, 0, 0])
        #expect(bytes.count == 56)

        var reader = XDRReader(bytes: bytes, layout: layout)
        #expect(try reader.readInt32() == -2)
        #expect(try reader.readUInt32() == 0x0102_0304)
        #expect(try reader.readInt64() == -3)
        #expect(try reader.readUInt64() == 0x0102_0304_0506_0708)
        #expect(try reader.readBool())
        #expect(try reader.readFloat() == 1.5)
        #expect(try reader.readDouble() == -2.25)
        #expect(try reader.readQuadruple() == XDRQuadruple(high: 1, low: 2))
        try reader.finish()
    }

    @Test func opaqueAndStringsArePaddedToFourBytes() throws {
        var writer = XDRWriter(layout: .lp64)
        try writer.writeOpaque([1, 2, 3, 4, 5], maximum: nil)
        try writer.writeFixedOpaque([9], count: 1)
        try writer.writeString("héllo", maximum: 16)
        let bytes = writer.finish()
        #expect(
            bytes == [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 6]
                + Array("héllo".utf8) + [0, 0])

        var reader = XDRReader(bytes: bytes, layout: .lp64)
        #expect(try reader.readOpaque(maximum: 5) == [1, 2, 3, 4, 5])
        #expect(try reader.readFixedOpaque(count: 1) == [9])
        #expect(try reader.readString(maximum: nil) == "héllo")
        try reader.finish()
    }

    @Test func encodingChecksBoundsAndFixedCounts() {
        var writer = XDRWriter(layout: .ilp32)
        #expect(throws: XDRError(.lengthOverBound(length: 3, maximum: 2))) {
            try writer.writeOpaque([1, 2, 3], maximum: 2)
        }
        #expect(throws: XDRError(.lengthOverBound(length: 4, maximum: 3))) {
            try writer.writeString("four", maximum: 3)
        }
        #expect(throws: XDRError(.wrongFixedCount(count: 2, expected: 4))) {
            try writer.writeFixedOpaque([1, 2], count: 4)
        }
        #expect(writer.finish().isEmpty)
    }

    @Test func writerCanBeReused() throws {
        var writer = XDRWriter(layout: .ilp32)
        try writer.writeString("first", maximum: nil)
        writer.removeAll()
        try writer.writeUnsigned(7, as: .sizeT)
        #expect(writer.bytes == [0, 0, 0, 7])
        #expect(writer.finish() == [0, 0, 0, 7])
        writer.writeInt32(1)
        #expect(writer.finish() == [0, 0, 0, 1])
    }

    @Test func writerGrowsPastItsCapacity() throws {
        var writer = XDRWriter(layout: .lp64, capacity: 1)
        for value in 0..<1000 { writer.writeUInt32(UInt32(value)) }
        try writer.writeOpaque([UInt8](repeating: 7, count: 10_001), maximum: nil)
        let bytes = writer.bytes
        #expect(bytes.count == 4000 + 4 + 10_004)
        var reader = XDRReader(bytes: bytes, layout: .lp64)
        for value in 0..<1000 { #expect(try reader.readUInt32() == UInt32(value)) }
        #expect(try reader.readOpaque(maximum: nil).count == 10_001)
    }
}
