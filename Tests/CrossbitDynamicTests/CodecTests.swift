import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import CrossbitTestSupport
import Synchronization
import Testing

@Suite("JSON <-> XDR by the sample IDL")
struct CodecTests {
    @Test(
        "JSON arguments encode to the generated client's bytes; the generated server's result decodes to the JSON",
        arguments: SampleCall.everyLayout)
    func matchesGeneratedCodecs(call: SampleCall) async throws {
        let codec = try SampleIDL.codec()
        let procedure = try DynamicProcedure("CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.\(call.procedure)", in: codec.module)
        let transport = RecordingTransport(layout: call.layout)
        try await call.generated(Sample.CrossbitSampleV1Client(transport: transport))
        let generatedArguments = transport.recorded.withLock { $0 }

        let arguments = try codec.encodeArguments(
            try JSONValue(parsing: call.arguments ?? "null"), of: procedure, layout: call.layout)
        #expect(arguments == generatedArguments)

        let reply = try await transport.inner.call(procedure.id, arguments: arguments, options: .defaults)
        #expect(try codec.decodeResult(reply, of: procedure, layout: call.layout) == JSONValue(parsing: call.result))
    }

    @Test(
        "every struct, union and enum of the sample: bytes equal the generated codec's, decoding gives the JSON back",
        arguments: WireLayout.allCases)
    func typesRoundTrip(layout: WireLayout) throws {
        let codec = try SampleIDL.codec()
        let limits = SampleLimits(layout: layout)
        let node = Sample.SampleNode(handle: Handle(rawValue: 5), weight: -2, next: nil)
        let values: [(String, any XDREncodable)] = [
            ("sample_kind", Sample.SampleKind.socket),
            ("sample_widths", limits.widths),
            ("sample_resource", limits.resource),
            ("sample_buffer", Sample.SampleBuffer(len: 2, data: [0xFF, 0])),
            ("sample_node", node),
            (
                "sample_batch",
                Sample.SampleBatch(
                    name: "", sizes: [], resources: [], fixedDeltas: [1, 2, 3], extra: nil, list: nil)
            ),
            ("sample_result", Sample.SampleResult.error("")),
            ("sample_value", Sample.SampleValue.socket(limits.umax)),
        ]
        for (type, value) in values {
            let bytes = try value.xdrBytes(layout: layout)
            let json = try codec.decode(bytes, type: type, layout: layout)
            #expect(try codec.encode(json, type: type, layout: layout) == bytes, "\(type): \(json.text(pretty: false))")
        }
        #expect(
            try codec.decode(node.xdrBytes(layout: layout), type: "sample_node", layout: layout)
                == JSONValue(parsing: #"{"handle":5,"weight":-2,"next":null}"#))
    }

    @Test("several arguments as an array, one bare or in an array, none as null or []")
    func argumentShapes() throws {
        let codec = try SampleIDL.codec()
        let add = try DynamicProcedure("CROSSBIT_SAMPLE.1.16", in: codec.module)
        #expect(
            try codec.encodeArguments(JSONValue(parsing: "[1, 2]"), of: add, layout: .lp64) == [0, 0, 0, 1, 0, 0, 0, 2])
        let null = try DynamicProcedure("crossbit_sample.crossbit_sample_v1.sample_null", in: codec.module)
        #expect(try codec.encodeArguments(JSONValue(parsing: "[]"), of: null, layout: .lp64) == [])
        #expect(try codec.encodeArguments(.null, of: null, layout: .lp64) == [])
        let size = try DynamicProcedure("0x20001001.1.SAMPLE_ECHO_SIZE", in: codec.module)
        #expect(try codec.encodeArguments(JSONValue(parsing: "[7]"), of: size, layout: .ilp32) == [0, 0, 0, 7])
        #expect(
            try codec.encodeArguments(JSONValue(parsing: "7"), of: size, layout: .lp64) == [0, 0, 0, 0, 0, 0, 0, 7])
        #expect(size.id == ProcedureID(program: 0x2000_1001, version: 1, procedure: 1))
    }

    @Test("unknown programs, versions and procedures name what is known")
    func unknownProcedures() throws {
        let module = try SampleIDL.codec().module
        for (specifier, message) in [
            ("NOPE.1.1", "no program 'NOPE'"),
            ("CROSSBIT_SAMPLE.2.1", "no version '2' in CROSSBIT_SAMPLE; known: CROSSBIT_SAMPLE_V1 (1)"),
            ("CROSSBIT_SAMPLE.1.99", "no procedure '99'"), ("CROSSBIT_SAMPLE.1", "is not PROGRAM.VERSION.PROCEDURE"),
        ] {
            #expect(throws: DynamicCodecError.self) { try DynamicProcedure(specifier, in: module) }
            do {
                _ = try DynamicProcedure(specifier, in: module)
            } catch {
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }

    @Test("truncated and corrupted XDR is an error, never a crash", arguments: WireLayout.allCases)
    func corruptedBytes(layout: WireLayout) throws {
        let codec = try SampleIDL.codec()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        // Echo procedures: the result has the argument's type.
        for call in SampleCall.all(layout) where call.procedure.hasPrefix("SAMPLE_ECHO_") {
            let procedure = try DynamicProcedure("CROSSBIT_SAMPLE.1.\(call.procedure)", in: codec.module)
            let bytes = try codec.encodeArguments(
                try JSONValue(parsing: call.arguments ?? "null"), of: procedure, layout: layout)
            #expect(try codec.decodeResult(bytes, of: procedure, layout: layout) == JSONValue(parsing: call.result))
            for length in 0..<bytes.count {
                #expect(throws: DynamicCodecError.self) {
                    try codec.decodeResult(Array(bytes.prefix(length)), of: procedure, layout: layout)
                }
            }
            for _ in 0..<200 {
                var corrupted = bytes
                for _ in 0...(next() % 3) {
                    corrupted[Int(next() % UInt64(corrupted.count))] = UInt8(truncatingIfNeeded: next())
                }
                _ = try? codec.decodeResult(corrupted, of: procedure, layout: layout)
            }
        }
    }

    @Test("malformed XDR results are errors naming the field")
    func malformedResults() throws {
        let codec = try SampleIDL.codec()
        let resource = try DynamicProcedure("CROSSBIT_SAMPLE.1.SAMPLE_ECHO_RESOURCE", in: codec.module)
        let bytes = try SampleLimits(layout: .ilp32).resource.xdrBytes(layout: .ilp32)
        var badKind = bytes
        badKind[7] = 9
        let cases: [([UInt8], String)] = [
            (Array(bytes.prefix(10)), "result.length: truncated data"),
            (badKind, "result.kind: invalid value 9 for enum sample_kind"),
            (bytes + [0, 0, 0, 0], "4 bytes left over"),
        ]
        for (input, message) in cases {
            do {
                _ = try codec.decodeResult(input, of: resource, layout: .ilp32)
                Issue.record("decoded \(message)")
            } catch {
                #expect(error.description.contains(message), "\(error)")
            }
        }
        let value = try DynamicProcedure("CROSSBIT_SAMPLE.1.SAMPLE_ECHO_VALUE", in: codec.module)
        #expect(throws: DynamicCodecError.self) {
            try codec.decodeResult([0, 0, 0, 7, 0, 0, 0, 0], of: value, layout: .ilp32)
        }
    }
}
