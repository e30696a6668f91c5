import CrossbitCore

/// A generated decoder over any bytes: the first two bytes pick the type and the layout, the rest is decoded;
/// whatever decodes must re-encode, in the same layout, to exactly the bytes the decoder consumed.
enum DecoderCheck {
    /// What an input picks: the type (and its index in the list), the layout, and the bytes to decode.
    struct Pick {
        var index: Int
        var type: any XDRCodable.Type
        var layout: WireLayout
        var body: [UInt8]
    }

    /// A decoded value's size in bytes and its encoding again (nil when it does not encode).
    struct RoundTrip {
        var consumed: Int
        var encoded: [UInt8]?
    }

    static func pick(_ bytes: [UInt8], from types: [any XDRCodable.Type]) -> Pick? {
        guard bytes.count >= 2, !types.isEmpty else { return nil }
        let selector = Int(bytes[0]) << 8 | Int(bytes[1])
        let index = (selector >> 1) % types.count
        let layout: WireLayout = selector & 1 == 0 ? .ilp32 : .lp64
        return Pick(index: index, type: types[index], layout: layout, body: Array(bytes.dropFirst(2)))
    }

    /// The round trip of the picked bytes, or the decoder's error.
    static func decodeAndEncode(_ pick: Pick) -> Result<RoundTrip, XDRError> {
        var reader = XDRReader(bytes: pick.body, layout: pick.layout)
        let value: any XDRCodable
        do {
            value = try pick.type.init(xdr: &reader)
        } catch {
            return .failure(error)
        }
        return .success(RoundTrip(consumed: reader.offset, encoded: try? value.xdrBytes(layout: pick.layout)))
    }

    /// Nil, or what went wrong.
    static func check(_ bytes: [UInt8], types: [any XDRCodable.Type]) -> String? {
        guard let pick = pick(bytes, from: types), case .success(let roundTrip) = decodeAndEncode(pick) else {
            return nil
        }
        let consumed = pick.body[..<roundTrip.consumed]
        guard let encoded = roundTrip.encoded else {
            return "\(pick.type) decoded from \(pick.layout) bytes \(Array(consumed)) does not encode again"
        }
        guard encoded[...] == consumed else {
            return "\(pick.type) (\(pick.layout)) re-encodes \(Array(consumed)) as \(encoded)"
        }
        return nil
    }
}
