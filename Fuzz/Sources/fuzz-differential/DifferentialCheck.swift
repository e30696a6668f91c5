import CSampleXDR
import CrossbitCore

/// rpcgen's C and the generated Swift decode the same bytes as the same type of crossbit_sample.x (picked as
/// ``DecoderCheck`` picks it). They must agree on accepting or refusing them, and where both accept, take as
/// many bytes and encode the same bytes again. The exceptions are exactly those docs/generated-swift.md lists:
/// Swift refuses undeclared enum values (a bool's too), union discriminants without an arm, strings that are
/// not UTF-8 and padding that is not zero, which C accepts; and C encodes a string only up to a zero byte in it
/// (C strings end there), so when C's encoding differs from what C read, both must agree on C's encoding.
enum DifferentialCheck {
    /// Nil, or how C and Swift disagree.
    static func check(_ bytes: [UInt8]) -> String? {
        guard let pick = DecoderCheck.pick(bytes, from: SampleTypes.all) else { return nil }
        guard Int(csample_type_count()) == SampleTypes.all.count else { return "C and Swift list different types" }
        let what = "\(pick.type), \(pick.layout), \(pick.body)"
        switch (DecoderCheck.decodeAndEncode(pick), decodeAndEncodeInC(pick)) {
        case (.failure, nil):
            return nil
        case (.failure(let error), .some):
            return swiftIsStricter(error) ? nil : "C accepts what Swift refuses (\(what)): \(error)"
        case (.success, nil):
            return "Swift accepts what C refuses (\(what))"
        case (.success(let swift), .some(let c)):
            guard let cEncoded = c.encoded else { return "C decodes what it cannot encode again (\(what))" }
            guard swift.consumed == c.consumed else { return "C and Swift read different lengths (\(what))" }
            guard swift.encoded != cEncoded else { return nil }
            guard cEncoded != Array(pick.body.prefix(c.consumed)) else {
                return "C and Swift encode differently (\(what))"
            }
            // C cut a string at a zero byte: on C's own encoding (which C reads back as it is), both must agree.
            return check(Array(bytes.prefix(2)) + cEncoded)
        }
    }

    /// The Swift decoder's refusals that are on purpose stricter than rpcgen's C.
    static func swiftIsStricter(_ error: XDRError) -> Bool {
        switch error.kind {
        case .invalidEnumValue, .invalidBool, .invalidDiscriminant, .invalidUTF8, .nonzeroPadding: true
        default: false
        }
    }

    /// C's round trip, or nil when C refuses the bytes.
    private static func decodeAndEncodeInC(_ pick: DecoderCheck.Pick) -> DecoderCheck.RoundTrip? {
        var output = [UInt8](repeating: 0, count: pick.body.count + 64)
        var written = 0
        let consumed = pick.body.withUnsafeBufferPointer { body in
            output.withUnsafeMutableBufferPointer { out in
                let roundTrip = pick.layout == .ilp32 ? csample_roundtrip_ilp32 : csample_roundtrip_lp64
                return roundTrip(Int32(pick.index), body.baseAddress, body.count, out.baseAddress, out.count, &written)
            }
        }
        guard consumed != -1 else { return nil }
        let encoded = consumed == -2 ? nil : Array(output.prefix(written))
        return DecoderCheck.RoundTrip(consumed: Int(consumed), encoded: encoded)
    }
}
