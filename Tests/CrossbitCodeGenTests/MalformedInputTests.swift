import CrossbitCore
import PropertyBased
import Testing

/// Malformed input gives a typed error, never a crash or a large allocation.
@Suite struct MalformedInputTests {
    typealias E = XdrEverything

    @Test(arguments: WireLayout.allCases)
    func truncationAtEveryOffsetIsATypedError(layout: WireLayout) throws {
        let bytes = try InteropTests.expected.xdrBytes(layout: layout)
        for cut in 0..<bytes.count {
            #expect(throws: XDRError.self, "cut at \(cut)") {
                try E.EvEverything(xdrBytes: Array(bytes[..<cut]), layout: layout)
            }
        }
    }

    /// Every word replaced by 0xFFFFFFFF: as a length it is over the bound or
    /// the bytes left; elsewhere it is a valid value or an invalid case.
    @Test(arguments: WireLayout.allCases)
    func hugeWordsAtEveryOffsetAreSafe(layout: WireLayout) throws {
        let bytes = try InteropTests.expected.xdrBytes(layout: layout)
        var failures = 0
        for offset in stride(from: 0, to: bytes.count, by: 4) {
            var corrupt = bytes
            corrupt.replaceSubrange(offset..<(offset + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
            do {
                _ = try E.EvEverything(xdrBytes: corrupt, layout: layout)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
    }

    /// Valid encodings with random bytes overwritten decode to a value or
    /// throw an `XDRError`; nothing else can happen.
    @Test(arguments: WireLayout.allCases)
    func corruptedEncodingsNeverCrash(layout: WireLayout) async throws {
        let bytes = try InteropTests.expected.xdrBytes(layout: layout)
        let corruption = zip(Gen.int(in: 0...(bytes.count - 1)), Gen.uint8(), Gen.int(in: 1...8))
            .array(of: 1...6)
        await propertyCheck(count: 500, input: corruption) { changes in
            var corrupt = bytes
            for (offset, value, length) in changes {
                for index in offset..<min(offset + length, corrupt.count) { corrupt[index] = value }
            }
            _ = try? E.EvEverything(xdrBytes: corrupt, layout: layout)
        }
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...256)) { random in
            _ = try? E.EvEverything(xdrBytes: random, layout: layout)
            _ = try? E.EvTree(xdrBytes: random, layout: layout)
            _ = try? E.EvIntUnion(xdrBytes: random, layout: layout)
        }
    }

    @Test func lengthOverTheRemainingBytesIsRejected() {
        let error = #expect(throws: XDRError.self) {
            try E.EvTree(xdrBytes: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16], layout: .ilp32)
        }
        #expect(error?.kind == .lengthOverRemaining(length: 16, remaining: 0))
        #expect(error?.path == ["leaves"])
    }

    @Test func wrongDiscriminantsAreTypedErrors() throws {
        #expect(throws: XDRError(.invalidDiscriminant(type: "ev_enum_union", value: 7), offset: 0)) {
            try E.EvEnumUnion(xdrBytes: [0, 0, 0, 7], layout: .lp64)
        }
        #expect(throws: XDRError(.invalidDiscriminant(type: "ev_bool_union", value: 2), offset: 0)) {
            try E.EvBoolUnion(xdrBytes: [0, 0, 0, 2], layout: .lp64)
        }
        #expect(throws: XDRError(.invalidEnumValue(type: "ev_color", value: 9), offset: 0)) {
            try E.EvColor(xdrBytes: [0, 0, 0, 9], layout: .lp64)
        }
        var scalars = try InteropTests.expected.scalars.xdrBytes(layout: .ilp32)
        scalars[51] = 9  // the `color` field
        let error = #expect(throws: XDRError.self) { try E.EvScalars(xdrBytes: scalars, layout: .ilp32) }
        #expect(error?.path == ["color"])
        // A default arm takes any other discriminant.
        #expect(try E.EvUnsignedUnion(xdrBytes: [0, 0, 0, 7], layout: .lp64) == .default(discriminant: 7))
    }

    @Test func deepNestingIsBounded() throws {
        // A list 2,500 nodes long: each node is a 4-byte value and a 4-byte flag.
        var bytes: [UInt8] = []
        for _ in 0..<2_500 { bytes += [0, 0, 0, 1, 0, 0, 0, 1] }
        bytes += [0, 0, 0, 1, 0, 0, 0, 0]
        let error = #expect(throws: XDRError.self) { try E.EvList(xdrBytes: bytes, layout: .ilp32) }
        #expect(error?.kind == .nestingTooDeep(maximum: 2_000))

        var reader = XDRReader(bytes: Array(bytes[(bytes.count - 8 * 50)...]), layout: .ilp32, maximumDepth: 49)
        let short = try E.EvList(xdr: &reader)
        #expect(short.next?.next?.value == 1)
        reader = XDRReader(bytes: Array(bytes[(bytes.count - 8 * 50)...]), layout: .ilp32, maximumDepth: 48)
        #expect(throws: XDRError.self) { try E.EvList(xdr: &reader) }
    }
}
