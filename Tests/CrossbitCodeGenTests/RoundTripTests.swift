import CrossbitCore
import PropertyBased
import Testing

@Suite struct RoundTripTests {
    typealias E = XdrEverything

    @Test(arguments: WireLayout.allCases)
    func randomValuesRoundTrip(layout: WireLayout) async {
        await propertyCheck(count: 200, input: EverythingGenerators.everything) { value in
            #expect(Self.roundTrip(value, layout) == value)
        }
    }

    /// LP64 carries any native value; ILP32 carries exactly the values that
    /// fit, and rejects the others naming the field, value and layout.
    @Test func wideValuesNarrowOrFail() async {
        let wide = zip(Gen.uint(), Gen.int(), Gen.uint()).map { size, ssize, handle in
            E.EvWidths(
                size: size, ssize: ssize, iptr: 0, uptr: 0, handle: Handle(handle), time: 0, i3264: 0, u3264: 0)
        }
        await propertyCheck(count: 300, input: wide) { value in
            #expect(Self.roundTrip(value, .lp64) == value)
            let fits = UInt32(exactly: value.size) != nil && Int32(exactly: value.ssize) != nil
            do throws(XDRError) {
                let narrowed = try E.EvWidths(xdrBytes: value.xdrBytes(layout: .ilp32), layout: .ilp32)
                #expect(fits)
                var expected = value
                expected.handle = Handle(widening: value.handle.narrowed)
                #expect(narrowed == expected)
            } catch {
                #expect(!fits)
                guard case .narrowingOverflow(let type, let text, .ilp32) = error.kind else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(error.path == [type == .sizeT ? "size" : "ssize"])
                #expect(text == (type == .sizeT ? String(value.size) : String(value.ssize)))
            }
        }
    }

    static func roundTrip<Value: XDRCodable>(_ value: Value, _ layout: WireLayout) -> Value? {
        do {
            return try Value(xdrBytes: value.xdrBytes(layout: layout), layout: layout)
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test func narrowingErrorsNameTheFieldPath() throws {
        var value = InteropTests.expected
        value.arrays.varWidths[0].time = Int(Int32.max) + 1
        let error = #expect(throws: XDRError.self) { try value.xdrBytes(layout: .ilp32) }
        #expect(error?.pathDescription == "arrays.var_widths[0].time")
        #expect(
            error?.description == "arrays.var_widths[0].time: time_t value 2147483648 does not fit the ilp32 layout")
        #expect(try E.EvEverything(xdrBytes: value.xdrBytes(layout: .lp64), layout: .lp64) == value)
    }

    @Test func encodingChecksDeclaredBounds() {
        var value = InteropTests.expected
        value.arrays.name = String(repeating: "x", count: 33)
        let error = #expect(throws: XDRError.self) { try value.xdrBytes(layout: .lp64) }
        #expect(error?.kind == .lengthOverBound(length: 33, maximum: 32))
        #expect(error?.pathDescription == "arrays.name")

        value = InteropTests.expected
        value.arrays.fixedInts = [1]
        let fixed = #expect(throws: XDRError.self) { try value.xdrBytes(layout: .lp64) }
        #expect(fixed?.kind == .wrongFixedCount(count: 1, expected: 3))
    }

    @Test func recursiveValuesAreValues() {
        var list = InteropTests.list([1, 2, 3])
        let copy = list
        list?.next?.value = 20
        #expect(copy?.next?.value == 2)
        #expect(list?.next?.value == 20)
        #expect(list != copy)
    }
}
