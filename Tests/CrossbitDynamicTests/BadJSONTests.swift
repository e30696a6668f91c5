import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// Bad JSON arguments and the message that names the field.
struct BadArguments: Sendable, CustomTestStringConvertible {
    var procedure: String
    var layout: WireLayout
    var json: String
    var message: String

    var testDescription: String { message }

    static let resource =
        #""handle":1,"kind":"SAMPLE_FILE","length":1,"created":0,"history":[0,0,0,0],"#
        + #""digest":"AAAAAAAAAAAAAAAAAAAAAA==","shared":false"#
    static let widths =
        #""size":1,"offset":1,"delta":1,"address":1,"handle":1,"when":1,"#
        + #""legacy_signed":1,"legacy_unsigned":1,"marker":1"#

    static let all: [BadArguments] = [
        BadArguments(
            procedure: "SAMPLE_ECHO_BATCH", layout: .ilp32,
            json: #"""
                {"name":"b","sizes":[],"resources":[{\#(resource)},{\#(resource)},{"handle":1,"kind":"SAMPLE_FILE",\#
                "length":4294967296,"created":0,"history":[0,0,0,0],\#
                "digest":"AAAAAAAAAAAAAAAAAAAAAA==","shared":false}],\#
                "fixed_deltas":[0,0,0],"list":null}
                """#, message: "arg1.resources[2].length: size_t value 4294967296 does not fit the ilp32 layout"),
        BadArguments(
            procedure: "SAMPLE_ECHO_SIZE", layout: .ilp32, json: "4294967296",
            message: "arg1: size_t value 4294967296 does not fit the ilp32 layout"),
        BadArguments(
            procedure: "SAMPLE_ECHO_TIME", layout: .ilp32, json: "-2147483649",
            message: "arg1: time_t value -2147483649 does not fit the ilp32 layout"),
        BadArguments(
            procedure: "SAMPLE_ECHO_SIZE", layout: .lp64, json: "18446744073709551616",
            message: "arg1: 18446744073709551616 is out of range for size_t"),
        BadArguments(
            procedure: "SAMPLE_ECHO_SSIZE", layout: .lp64, json: "-1.5",
            message: "arg1: -1.5 is not an integer"),
        BadArguments(
            procedure: "SAMPLE_ADD", layout: .lp64, json: "[1, 2147483648]",
            message: "arg2: 2147483648 is out of range for int"),
        BadArguments(procedure: "SAMPLE_ADD", layout: .lp64, json: "[1]", message: "expected 2 arguments, found 1"),
        BadArguments(
            procedure: "SAMPLE_ADD", layout: .lp64, json: #"[1, "2"]"#,
            message: "arg2: expected an integer (int), found a string"),
        BadArguments(
            procedure: "SAMPLE_ECHO_WIDTHS", layout: .lp64, json: "{\(widths)}",
            message: #"arg1: missing field "wide""#),
        BadArguments(
            procedure: "SAMPLE_ECHO_WIDTHS", layout: .lp64, json: #"{\#(widths),"wide":1,"color":2}"#,
            message: #"arg1: unknown field "color""#),
        BadArguments(
            procedure: "SAMPLE_ECHO_WIDTHS", layout: .lp64, json: #"{\#(widths),"wide":-1}"#,
            message: "arg1.wide: -1 is out of range for unsigned hyper"),
        BadArguments(
            procedure: "SAMPLE_ECHO_WIDTHS", layout: .lp64, json: #"["x"]"#,
            message: "arg1: expected an object (sample_widths), found a string"),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESOURCE", layout: .lp64,
            json: #"{\#(resource.replacingOccurrences(of: "AAAAAAAAAAAAAAAAAAAAAA==", with: "not base64!"))}"#,
            message: "arg1.digest: opaque data must be a base64 string"),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESOURCE", layout: .lp64,
            json: #"{\#(resource.replacingOccurrences(of: "AAAAAAAAAAAAAAAAAAAAAA==", with: "AAAA"))}"#,
            message: "arg1.digest: fixed-size value has 3 elements, expected 16"),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESOURCE", layout: .lp64,
            json: #"{\#(resource.replacingOccurrences(of: "SAMPLE_FILE", with: "SAMPLE_PIPE"))}"#,
            message: #"arg1.kind: "SAMPLE_PIPE" is not a case of enum sample_kind"#),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESOURCE", layout: .lp64,
            json: #"{\#(resource.replacingOccurrences(of: "[0,0,0,0]", with: "[0,0,0]"))}"#,
            message: "arg1.history: fixed-size value has 3 elements, expected 4"),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESOURCE", layout: .lp64,
            json: #"{\#(resource.replacingOccurrences(of: "false", with: "0"))}"#,
            message: "arg1.shared: expected true or false, found a number"),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESULT", layout: .lp64, json: #"{"status":1,"error":"x"}"#,
            message: #"arg1: union sample_result: the discriminant selects "count", found "error""#),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESULT", layout: .lp64, json: #"{"status":3,"count":1}"#,
            message: #"arg1: unknown field "count""#),
        BadArguments(
            procedure: "SAMPLE_ECHO_RESULT", layout: .lp64, json: #"{"count":1}"#,
            message: #"arg1: missing field "status""#),
        BadArguments(
            procedure: "SAMPLE_ECHO_VALUE", layout: .lp64, json: #"{"kind":7,"peer":1}"#,
            message: "arg1.kind: 7 is not a case of enum sample_kind"),
        BadArguments(
            procedure: "SAMPLE_ECHO_VALUE", layout: .ilp32, json: #"{"kind":"SAMPLE_SOCKET","peer":4294967296}"#,
            message: "arg1.peer: uintptr_t value 4294967296 does not fit the ilp32 layout"),
        BadArguments(
            procedure: "SAMPLE_ECHO_LIST", layout: .ilp32,
            json: #"{"handle":1,"weight":1,"next":{"handle":1,"weight":2147483648,"next":null}}"#,
            message: "arg1.next.weight: ssize_t value 2147483648 does not fit the ilp32 layout"),
        BadArguments(
            procedure: "SAMPLE_OPEN", layout: .lp64, json: #"["\#(String(repeating: "n", count: 65))", 0, null]"#,
            message: "arg1: length 65 exceeds the maximum 64"),
        BadArguments(
            procedure: "SAMPLE_ECHO_BATCH", layout: .lp64,
            json: #"{"name":"b","sizes":[],"resources":[],"fixed_deltas":[0,0,0],"list":null,"extra":{"size":1}}"#,
            message: #"arg1.extra: missing field "offset""#),
        BadArguments(
            procedure: "SAMPLE_GREET", layout: .lp64, json: #"{"name": "x",}"#,
            message: "invalid JSON: expected a member name in quotes at line 1, column 14"),
        BadArguments(
            procedure: "SAMPLE_GREET", layout: .lp64, json: #""unterminated"#,
            message: "invalid JSON: unterminated string"),
        BadArguments(
            procedure: "SAMPLE_GREET", layout: .lp64, json: "null", message: "arg1: expected a string, found null"),
    ]
}

@Suite("Bad JSON is an error naming the field")
struct BadJSONTests {
    @Test(arguments: BadArguments.all)
    func rejected(_ bad: BadArguments) throws {
        let codec = try SampleIDL.codec()
        let procedure = try DynamicProcedure("CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.\(bad.procedure)", in: codec.module)
        do {
            let bytes = try codec.encodeArguments(try JSONValue(parsing: bad.json), of: procedure, layout: bad.layout)
            Issue.record("encoded \(bytes.count) bytes")
        } catch {
            #expect(error.description == bad.message || error.description.hasPrefix(bad.message), "\(error)")
        }
    }

    @Test("JSON text: exact integers, escapes, surrogate pairs, duplicates, nesting, stable printing")
    func jsonText() throws {
        #expect(try JSONValue(parsing: " 18446744073709551615 ") == .number("18446744073709551615"))
        #expect(
            try JSONValue(parsing: #""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{08}\u{0C}\n\r\té😀"))
        for bad in [
            #"{"a":1,"a":2}"#, "[1,]", "01", "1.", "-", "tru", #""\ud83d""#, "[1] 2", #""\u12G4""#, "\"\u{01}\"",
        ] {
            #expect(throws: DynamicCodecError.self, "\(bad)") { try JSONValue(parsing: bad) }
        }
        #expect(throws: DynamicCodecError.self) { try JSONValue(parsing: String(repeating: "[", count: 100_000)) }
        let deep = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(try JSONValue(parsing: deep).text(pretty: false) == deep)
        let value = try JSONValue(parsing: #"{"b":[1,{"c":null}],"a":"x\u0001\n","e":[],"f":{}}"#)
        #expect(value.text(pretty: false) == #"{"b":[1,{"c":null}],"a":"x\u0001\n","e":[],"f":{}}"#)
        #expect(
            value.text() == """
                {
                  "b": [
                    1,
                    {
                      "c": null
                    }
                  ],
                  "a": "x\\u0001\\n",
                  "e": [],
                  "f": {}
                }
                """)
        #expect(try JSONValue(parsing: value.text()) == value)
    }

    @Test("floats and doubles: numbers, non-finite values as strings, out of range is an error")
    func floatingPoint() throws {
        let module = try IDLModuleFixture.floats()
        let codec = DynamicCodec(module: module)
        for text in ["1.5", "-0.25", "1e-05", #""NaN""#, #""Infinity""#, #""-Infinity""#] {
            let json = try JSONValue(parsing: #"{"f":\#(text),"d":\#(text)}"#)
            let bytes = try codec.encode(json, type: "floats", layout: .lp64)
            #expect(try codec.decode(bytes, type: "floats", layout: .lp64) == json)
        }
        #expect(throws: DynamicCodecError.self) {
            try codec.encode(JSONValue(parsing: #"{"f":1e39,"d":1}"#), type: "floats", layout: .lp64)
        }
    }
}

/// IDL for the XDR types the sample does not use.
enum IDLModuleFixture {
    static func floats() throws -> IDLModule {
        try IDLFrontEnd.load(
            source: """
                enum color { RED = 1, GREEN = 2 };
                struct floats { float f; double d; };
                union by_bool switch (bool present) { case TRUE: hyper value; case FALSE: void; };
                union by_unsigned switch (unsigned int code) { case 4000000000: string text<>; default: void; };
                union by_enum switch (color c) { case RED: int r; default: opaque rest<2>; };
                typedef int *maybe_int;
                struct misc {
                    quadruple q; by_bool b; by_unsigned u; by_enum e; maybe_int maybes<3>;
                    unsigned hyper big; hyper small;
                };
                """, file: "fixture.x")
    }
}

@Suite("Other XDR types")
struct OtherTypeTests {
    @Test("a linked list 255 nodes long round trips; longer lists are errors, not stack overflows")
    func longLists() throws {
        let codec = try SampleIDL.codec()
        func list(_ count: Int) -> String {
            String(repeating: #"{"handle":1,"weight":2,"next":"#, count: count) + "null"
                + String(repeating: "}", count: count)
        }
        let json = try JSONValue(parsing: list(255))
        let bytes = try codec.encode(json, type: "sample_list", layout: .lp64)
        #expect(bytes.count == 255 * 20 + 4)
        #expect(try codec.decode(bytes, type: "sample_list", layout: .lp64) == json)
        #expect(throws: DynamicCodecError.self) { try JSONValue(parsing: list(256)) }
        var longer: [UInt8] = []
        for _ in 0..<257 { longer += [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2] }
        #expect(throws: DynamicCodecError.self) {
            try codec.decode(longer + [0, 0, 0, 0], type: "sample_list", layout: .ilp32)
        }
    }

    @Test("quadruple, unions on bool, unsigned and enum with a default arm, arrays of optional data")
    func roundTrip() throws {
        let codec = DynamicCodec(module: try IDLModuleFixture.floats())
        let json = try JSONValue(
            parsing: """
                {"q":"0123456789abcdef0123456789abcdef","b":{"present":true,"value":-9007199254740993},\
                "u":{"code":4000000000,"text":"t"},"e":{"c":"GREEN","rest":"AQI="},"maybes":[null,5],\
                "big":18446744073709551615,"small":-9223372036854775808}
                """)
        let bytes = try codec.encode(json, type: "misc", layout: .ilp32)
        #expect(bytes.count == 16 + 12 + 12 + 12 + 4 + 4 + 8 + 8 + 8)
        #expect(try codec.decode(bytes, type: "misc", layout: .ilp32) == json)
        let other = try JSONValue(parsing: #"{"present":false}"#)
        #expect(try codec.encode(other, type: "by_bool", layout: .lp64) == [0, 0, 0, 0])
        #expect(
            try codec.encode(JSONValue(parsing: #"{"code":7}"#), type: "by_unsigned", layout: .lp64) == [0, 0, 0, 7])
        #expect(
            try codec.decode([0, 0, 0, 1, 0, 0, 0, 3], type: "by_enum", layout: .lp64)
                == JSONValue(parsing: #"{"c":"RED","r":3}"#))
        #expect(throws: DynamicCodecError.self) {
            try codec.encode(JSONValue(parsing: #"{"c":"RED","rest":"AQI="}"#), type: "by_enum", layout: .lp64)
        }
    }
}
