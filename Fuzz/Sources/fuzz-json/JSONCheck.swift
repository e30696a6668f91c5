import CrossbitCore
import CrossbitDynamic

/// The JSON of `crossbit call` over any text: parsed, or refused with a message. What parses must print and
/// parse again to the same value; encoded as an IDL type (picked by the text's length), what encodes must
/// decode and encode again to the same bytes.
enum JSONCheck {
    /// The types of IDL/crossbit_sample.x the check encodes values as.
    static let sampleTypes = [
        "sample_widths", "sample_resource", "sample_buffer", "sample_batch", "sample_list", "sample_result",
        "sample_value",
    ]

    /// Nil, or what went wrong.
    static func check(_ bytes: [UInt8], codec: DynamicCodec, types: [String]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            return error.description.isEmpty ? "JSON refused without a reason" : nil
        }
        for pretty in [false, true] where (try? JSONValue(parsing: value.text(pretty: pretty))) != value {
            return "\(value) printed (pretty: \(pretty)) parses differently"
        }
        guard !types.isEmpty else { return nil }
        let type = types[bytes.count % types.count]
        for layout in WireLayout.allCases {
            guard let encoded = try? codec.encode(value, type: type, layout: layout) else { continue }
            do {
                let decoded = try codec.decode(encoded, type: type, layout: layout)
                let again = try codec.encode(decoded, type: type, layout: layout)
                if again != encoded { return "\(type) (\(layout)): \(value) encodes to \(encoded), then \(again)" }
            } catch {
                return "\(type) (\(layout)): what \(value.text(pretty: false)) encodes to does not decode: \(error)"
            }
        }
        return nil
    }
}
