import CrossbitCore
import CrossbitDynamic
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// `crossbit` run as a real process against Swift, C and broker servers.
@Suite("The crossbit command", .timeLimit(.minutes(3)))
struct CommandTests {
    static func crossbit(_ arguments: [String]) async throws -> ToolOutput {
        try await runTool(try Paths.product("crossbit"), arguments, timeout: .seconds(30), expectSuccess: false)
    }

    /// Runs `crossbit call` for every call of the layout's table at `address`
    /// and expects each result.
    static func expectEveryCall(
        at address: String, layout: WireLayout, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        for call in SampleCall.all(layout) {
            let output = try await crossbit(
                [
                    "call", "--idl", SampleIDL.path, "--layout", layout.rawValue, address,
                    "CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.\(call.procedure)",
                ] + (call.arguments.map { [$0] } ?? []))
            #expect(output.status == 0, "\(call.testDescription): \(output.error)", sourceLocation: sourceLocation)
            guard output.status == 0 else { continue }
            #expect(
                try JSONValue(parsing: output.output) == JSONValue(parsing: call.result),
                "\(call.testDescription): \(output.output)", sourceLocation: sourceLocation)
        }
    }

    @Test("crossbit call round-trips every procedure of the sample with a Swift server", arguments: WireLayout.allCases)
    func swiftServer(layout: WireLayout) async throws {
        let dispatcher = SampleService.dispatcher()
        try await withServer([.tcp(host: "127.0.0.1", layout: layout)], services: [dispatcher]) { _, bound in
            try await Self.expectEveryCall(at: bound[0].address.description, layout: layout)
        }
    }

    @Test(
        "crossbit call round-trips every procedure of the sample with an rpcgen-built C server (gcc -m32 / -m64)",
        arguments: WireLayout.allCases)
    func cServer(layout: WireLayout) async throws {
        try await withBackgroundProcess(try await CPeers.shared.build(layout, .sample).server, []) { ready in
            let port = ready.split(separator: " ").last.map(String.init) ?? "0"
            try await Self.expectEveryCall(at: "tcp://127.0.0.1:\(port)", layout: layout)
        }
    }

    @Test("bad JSON exits 2 naming the field; failed calls exit 1; bad usage exits 2")
    func failures() async throws {
        let bad = BadArguments.all[0]
        let call = ["call", "--idl", SampleIDL.path, "--layout"]
        let rejected = try await Self.crossbit(
            call + [bad.layout.rawValue, "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.\(bad.procedure)", bad.json])
        #expect(rejected.status == 2)
        #expect(rejected.error.contains(bad.message), "\(rejected.error)")
        #expect(rejected.output.isEmpty)

        let refused = try await Self.crossbit(call + ["lp64", "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.SAMPLE_NULL"])
        #expect(refused.status == 1 && refused.error.contains("transport failure"), "\(refused.error)")

        for (arguments, message) in [
            (call + ["lp64", "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.SAMPLE_NOPE"], "no procedure 'SAMPLE_NOPE'"),
            (call + ["lp32", "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.0"], "--layout"),
            (call + ["lp64", "tcp:/nowhere", "CROSSBIT_SAMPLE.1.0"], "tcp:/nowhere"),
            (["call", "--idl", "/nonexistent.x", "--layout", "lp64", "tcp://127.0.0.1:1", "P.1.0"], "no such file"),
            (["ping", "tcp://127.0.0.1:1", "1.2.3"], "is not PROGRAM.VERSION"),
            (
                call + ["lp64", "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.16", "--", #"[-1, "x"]"#],
                "arg2: expected an integer"
            ),
            (call + ["lp64", "tcp://127.0.0.1:1", "CROSSBIT_SAMPLE.1.16", "[1]", "2"], "expected one JSON text"),
        ] {
            let output = try await Self.crossbit(arguments)
            #expect(output.status == 2, "\(arguments): \(output.error)")
            #expect(output.error.contains(message), "\(arguments): \(output.error)")
        }
    }

    @Test(
        "crossbit call's messages, exact text: close matches, known names, numbers as written, quoting hint",
        arguments: [
            (
                "CROSSBIT_SAMPL.1.1", "[1]",
                "crossbit: no program 'CROSSBIT_SAMPL' in \(SampleIDL.path) (did you mean 'CROSSBIT_SAMPLE'?); "
                    + "known: CROSSBIT_SAMPLE (0x20001001)\n"
            ),
            (
                "0x20000999.1.1", "[1]",
                "crossbit: no program '0x20000999' in \(SampleIDL.path); known: CROSSBIT_SAMPLE (0x20001001)\n"
            ),
            (
                "CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V2.1", "[1]",
                "crossbit: no version 'CROSSBIT_SAMPLE_V2' in CROSSBIT_SAMPLE (did you mean 'CROSSBIT_SAMPLE_V1'?); "
                    + "known: CROSSBIT_SAMPLE_V1 (1)\n"
            ),
            (
                "CROSSBIT_SAMPLE.1.SAMPLE_GRET", "hi",
                "crossbit: no procedure 'SAMPLE_GRET' in CROSSBIT_SAMPLE_V1 (did you mean 'SAMPLE_GREET'?); known: "
                    + "SAMPLE_NULL (0), SAMPLE_ECHO_SIZE (1), SAMPLE_ECHO_SSIZE (2), SAMPLE_ECHO_INTPTR (3), "
                    + "SAMPLE_ECHO_UINTPTR (4), SAMPLE_ECHO_HANDLE (5), SAMPLE_ECHO_TIME (6), SAMPLE_ECHO_WIDTHS (7), "
                    + "SAMPLE_ECHO_RESOURCE (8), SAMPLE_ECHO_BATCH (9), SAMPLE_ECHO_LIST (10), "
                    + "SAMPLE_ECHO_RESULT (11), SAMPLE_ECHO_VALUE (12), SAMPLE_READ (13), SAMPLE_WRITE (14), "
                    + "SAMPLE_OPEN (15), SAMPLE_ADD (16), SAMPLE_GREET (17)\n"
            ),
            (
                "CROSSBIT_SAMPLE.1.SAMPLE_GREET", "hi",
                "crossbit: the arguments of SAMPLE_GREET: invalid JSON: unexpected character 'h', expected a value "
                    + "at line 1, column 1; a string must be JSON-quoted: write '\"hi\"' (the single quotes keep "
                    + "the double ones from the shell)\n"
            ),
        ])
    func messages(procedure: String, json: String, message: String) async throws {
        let output = try await Self.crossbit(
            ["call", "--idl", SampleIDL.path, "--layout", "lp64", "tcp://127.0.0.1:1", procedure, json])
        #expect(output.status == 2)
        #expect(output.error == message)
    }

    @Test("crossbit ping calls procedure 0 of a program version; an unknown version is an RPC error, exit 1")
    func ping() async throws {
        let dispatcher = SampleService.dispatcher()
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)], services: [dispatcher]) { _, bound in
            let address = bound[0].address.description
            let answered = try await Self.crossbit(["ping", address, "0x20001001.1"])
            #expect(answered.status == 0, "\(answered.error)")
            #expect(
                answered.output.hasPrefix("program 0x20001001 version 1 at \(address) answered in "),
                "\(answered.output)")
            let mismatch = try await Self.crossbit(["ping", address, "0x20001001.7"])
            #expect(mismatch.status == 1 && mismatch.error.contains("program"), "\(mismatch.error)")
        }
    }

    @Test(
        "against a broker: ping, list (table and JSON), every call from ILP32 via the broker to an LP64 Swift server"
    )
    func broker() async throws {
        let dispatcher = SampleService.dispatcher()
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)], services: [dispatcher]) { _, bound in
            let server = bound[0].address.description
            let socket = Paths.temporarySocket("broker")
            let broker = try await Daemon.start([
                "--idl", SampleIDL.path, "--listen", "ilp32=unix://\(socket)",
                "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)",
            ]).process
            defer {
                broker.stopNow()
                unlink(socket)
            }
            let address = "unix://\(socket)"
            let ping = try await Self.crossbit(["ping", address])
            #expect(ping.status == 0 && ping.output.hasPrefix("broker at \(address) answered in"), "\(ping.error)")

            let table = try await Self.crossbit(["list", address])
            #expect(table.status == 0, "\(table.error)")
            #expect(
                table.output.contains("536875009 (0x20001001)  1        lp64    \(server)  configuration  external"),
                "\(table.output)")
            let json = try await Self.crossbit(["list", "--json", address])
            let list = try JSONValue(parsing: json.output)
            #expect(
                list["routes"]
                    == JSONValue.array([
                        .object([
                            .init("prog", .integer(0x2000_1001)), .init("vers", .integer(1)),
                            .init("layout", .string("lp64")),
                            .init("address", .string(server)), .init("origin", .string("configuration")),
                            .init("state", .string("external")),
                        ])
                    ]))
            #expect(list["stats"]?["routes"] == .integer(1))

            try await Self.expectEveryCall(at: address, layout: .ilp32)
        }
    }
}
