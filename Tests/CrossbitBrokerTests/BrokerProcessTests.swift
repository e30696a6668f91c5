import CrossbitBroker
import CrossbitBrokerControl
import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

typealias Sample = CrossbitSample
typealias SampleClient = CrossbitSample.CrossbitSampleV1Client<RPCClient>

/// The broker as a real process between real clients and servers of both widths.
@Suite("crossbitd between 32-bit and 64-bit peers", .serialized, .timeLimit(.minutes(3)))
struct BrokerProcessTests {
    static let sampleProgram: UInt32 = 0x2000_1001
    static let testProgram: UInt32 = 0x2000_1099

    static var rpcbindRuns: Bool {
        get async {
            guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/rpcinfo") else { return false }
            return (try? await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"], expectSuccess: false))?.status == 0
        }
    }

    @Test("a 32-bit C client calls every procedure of a 64-bit Swift server through the broker")
    func cClientToSwiftServer() async throws {
        let peers = try await CPeers.shared.build(.ilp32, .sample)
        let observations = Observations()
        try await withSwiftServer([SampleService.dispatcher(observations)]) { (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0",
                "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let result = try await runTool(
                    peers.client, ["127.0.0.1", "\(daemon.port(.ilp32))", "--through-broker"], expectSuccess: false)
                #expect(result.status == 0, "\(result.combined)")
                #expect(result.combined.hasSuffix("ALL PASSED\n"), "\(result.combined)")
                // Handle -1 from the 32-bit client arrives as 64-bit -1; sizes are zero-extended, ssize_t
                // sign-extended.
                #expect(observations.handles.contains(Handle(rawValue: UInt.max)))
                #expect(observations.sizes.contains(0xFFFF_FFFF))
                #expect(observations.ssizes.contains(Int(Int32.min)))
                // The too-large result was refused, and the log says where and what.
                let refusal = try await daemon.process.line(containing: "does not fit the ilp32 layout")
                for part in ["CROSSBIT_SAMPLE", "CROSSBIT_SAMPLE_V1", "SAMPLE_ECHO_SIZE", "path=result", "4294967296"] {
                    #expect(refusal.contains(part), "\(part) missing in: \(refusal)")
                }
            }
        }
    }

    @Test("a 64-bit Swift client calls every procedure of a 32-bit C server through the broker")
    func swiftClientToCServer() async throws {
        let (server, port) = try await startCServer()
        defer { server.kill(SIGKILL) }
        let socket = try Paths.temporaryDirectory("swift-to-c").path + "/broker.sock"
        try await withDaemon([
            "--idl", Paths.sampleIDL, "--listen", "lp64=unix://\(socket)", "--listen", "ilp32=tcp://127.0.0.1:0",
            "--route", "\(Self.sampleProgram):1=ilp32@tcp://127.0.0.1:\(port)",
        ]) { (daemon: Daemon) async throws in
            let client = SampleClient(
                transport: try RPCClient(address: daemon.address(.lp64, unix: true), layout: .lp64))
            try await exerciseEveryProcedure(client)
            // Too large for the 32-bit server: refused by the broker, the server never sees it.
            _ = try await server.line(containing: "call greet")
            let echoes = server.output.components(separatedBy: "call echo_size\n").count
            let error = await #expect(throws: RPCError.self) { try await client.echoSize(1 << 32) }
            #expect(error?.code == .systemError)
            let widths = Sample.SampleWidths(
                size: 1, offset: Int(Int32.min) - 1, delta: 0, address: 0, handle: Handle(0), when: 0,
                legacySigned: 0, legacyUnsigned: 0, marker: 0, wide: 0)
            await #expect(throws: RPCError.self) { try await client.echoWidths(widths) }
            #expect(try await client.greet("again") == "Hello, again")
            _ = await server.count(of: "call greet\n", atLeast: 2)
            #expect(server.output.components(separatedBy: "call echo_size\n").count == echoes)
            #expect(server.output.components(separatedBy: "call echo_widths\n").count == 2)
            _ = try await daemon.process.line(containing: "path=arg1.offset")
        }
    }

    /// Starts the 32-bit C sample server on a TCP port (0: any); returns it and its port.
    func startCServer(port: String = "0") async throws -> (ChildProcess, String) {
        let server = ChildProcess(try await CPeers.shared.build(.ilp32, .sample).server, [port])
        try await server.start()
        do {
            let ready = try await server.line(containing: "READY")
            return (server, ready.split(separator: " ").last.map(String.init) ?? "0")
        } catch {
            server.kill(SIGKILL)
            throw error
        }
    }

    /// Calls every sample procedure with values at the 32-bit limits and checks the echoes.
    func exerciseEveryProcedure(_ client: SampleClient) async throws {
        try await client.null()
        for size: UInt in [0, 1, 0xFFFF_FFFF] {
            #expect(try await client.echoSize(size) == size)
            #expect(try await client.echoUintptr(size) == size)
        }
        for value in [Int(Int32.min), -1, 0, Int(Int32.max)] {
            #expect(try await client.echoSsize(value) == value)
            #expect(try await client.echoIntptr(value) == value)
            #expect(try await client.echoTime(value) == value)
        }
        // A 64-bit handle keeps its low 32 bits on the way, and is sign-extended back.
        #expect(try await client.echoHandle(Handle(rawValue: UInt.max)) == Handle(rawValue: UInt.max))
        #expect(try await client.echoHandle(Handle(0x1_0000_0005)) == Handle(5))
        let widths = Sample.SampleWidths(
            size: 0xFFFF_FFFF, offset: Int(Int32.min), delta: Int(Int32.max), address: 0xFFFF_FFFF,
            handle: Handle(7), when: Int(Int32.max), legacySigned: -1, legacyUnsigned: 0x8000_0000,
            marker: 0x5A5A_5A5A, wide: .max)
        #expect(try await client.echoWidths(widths) == widths)
        let resource = Sample.SampleResource(
            handle: Handle(9), kind: .window, length: 0xFFFF_FFFF, created: Int(Int32.min),
            history: [Int(Int32.min), -1, 0, Int(Int32.max)], digest: Array(0..<16), shared: true)
        #expect(try await client.echoResource(resource) == resource)
        let list = Sample.SampleNode(
            handle: Handle(1), weight: -1, next: Sample.SampleNode(handle: Handle(2), weight: 2, next: nil))
        #expect(try await client.echoList(list) == list)
        let batch = Sample.SampleBatch(
            name: "batch", sizes: [0, 0xFFFF_FFFF], resources: [resource, resource], fixedDeltas: [-1, 0, 1],
            extra: widths, list: list)
        #expect(try await client.echoBatch(batch) == batch)
        for result: Sample.SampleResult in [
            .resource(resource), .count(0xFFFF_FFFF), .error("broken"), .case3,
            .default(discriminant: 9, Int(Int32.min)),
        ] {
            #expect(try await client.echoResult(result) == result)
        }
        for value: Sample.SampleValue in [.file(0xFFFF_FFFF), .socket(1), .window(Handle(3))] {
            #expect(try await client.echoValue(value) == value)
        }
        let buffer = try await client.read(Handle(4), -5, 3)
        #expect(buffer.len == 3 && buffer.data == [0xFB, 0xFC, 0xFD])
        #expect(try await client.write(Handle(4), Sample.SampleBuffer(len: 0xFFFF_FFFF, data: [1, 2, 3, 4, 5])) == 5)
        let opened = Sample.SampleResource(
            handle: Handle(rawValue: .max), kind: .file, length: 4, created: Int(Int32.max),
            history: (0..<4).map { Int(Int32.max) - 3 + $0 },
            digest: Array("file".utf8) + Array(repeating: 0, count: 12), shared: true)
        #expect(try await client.open("file", .file, Int(Int32.max)) == .resource(opened))
        #expect(try await client.open("none", .socket, nil) == .case3)
        #expect(try await client.add(Int32.max, 1) == Int32.min)
        #expect(try await client.greet("broker") == "Hello, broker")
    }

    @Test("a legacy 32-bit C client finds the broker through rpcbind", .enabled { await rpcbindRuns })
    func legacyClientThroughRPCBind() async throws {
        let peers = try await CPeers.shared.build(.ilp32, .sample)
        try await withSwiftServer([SampleService.dispatcher()]) { (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--rpcbind", "ilp32",
                "--route", "CROSSBIT_SAMPLE:1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let registered = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).combined
                #expect(
                    registered.contains(
                        "\(Self.sampleProgram)    1   tcp  \(String(daemon.port(.ilp32)).leftPadded(5))"),
                    "\(registered)")
                let result = try await runTool(peers.client, ["127.0.0.1", "--through-broker"], expectSuccess: false)
                #expect(result.combined.hasSuffix("ALL PASSED\n"), "\(result.combined)")
            }
            let after = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).combined
            #expect(!after.contains("\(Self.sampleProgram)"), "still registered after shutdown:\n\(after)")
        }
    }

    @Test(
        "a server killed mid-call: an error within the deadline, other routes unaffected, calls work after its restart")
    func serverKilledMidCall() async throws {
        let (first, port) = try await startCServer()
        defer { first.kill(SIGKILL) }
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (other: RPCAddress) async throws in
            let control = try Paths.temporaryDirectory("killed-mid-call").path + "/broker.sock"
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--idl", Paths.testIDL, "--listen", "lp64=tcp://127.0.0.1:0",
                "--listen", "lp64=unix://\(control)", "--route", "BROKER_TEST:1=lp64@\(other)",
            ]) { (daemon: Daemon) async throws in
                try await BrokerRegistration.register(
                    program: Self.sampleProgram, version: 1,
                    at: .tcp(host: "127.0.0.1", port: UInt16(port) ?? 0, layout: .ilp32),
                    withBroker: .unix(path: control))
                let sample = SampleClient(transport: try RPCClient(address: daemon.address(.lp64), layout: .lp64))
                let test = BrokerTest.BrokerTestV1Client(
                    transport: try RPCClient(address: daemon.address(.lp64), layout: .lp64))
                let options = CallOptions(timeout: .seconds(5))
                let started = ContinuousClock.now
                let slow = Task { try await sample.add(424_242, 10_000, options: options) }
                _ = try await first.line(containing: "call add")
                first.kill(SIGKILL)
                let error = await #expect(throws: RPCError.self) { try await slow.value }
                #expect(error?.code == .systemError, "\(String(describing: error))")
                #expect(ContinuousClock.now - started < .seconds(4))
                #expect(try await test.echo(0xFFFF_FFFF_FFFF) == 0xFFFF_FFFF_FFFF)
                // While the server is down: SYSTEM_ERR at once, and the broker keeps serving.
                await #expect(throws: RPCError.self) { try await sample.add(1, 1, options: options) }
                // The server comes back on the same port: the broker connects again.
                let (second, _) = try await startCServer(port: port)
                defer { second.kill(SIGKILL) }
                #expect(try await sample.add(1, 2, options: options) == 3)
                // A third server elsewhere re-registers the route through the control program.
                let (third, thirdPort) = try await startCServer()
                defer { third.kill(SIGKILL) }
                try await BrokerRegistration.register(
                    program: Self.sampleProgram, version: 1,
                    at: .tcp(host: "127.0.0.1", port: UInt16(thirdPort) ?? 0, layout: .ilp32),
                    withBroker: .unix(path: control))
                second.kill(SIGKILL)
                #expect(try await sample.add(2, 2, options: options) == 4)
                _ = try await third.line(containing: "call add", timeout: .seconds(5))
            }
        }
    }

    @Test("sixteen concurrent 50 ms calls through the broker take well under 16 × 50 ms")
    func concurrentCalls() async throws {
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.testIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--route",
                "BROKER_TEST:BROKER_TEST_V1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let client = BrokerTest.BrokerTestV1Client(
                    transport: try RPCClient(address: daemon.address(.ilp32), layout: .ilp32))
                _ = try await client.sleep(0)
                // The best of three rounds, so that a machine busy with other tests does not decide.
                var elapsed = Duration.seconds(60)
                for _ in 0..<3 where elapsed >= .milliseconds(400) {
                    let started = ContinuousClock.now
                    try await withThrowingTaskGroup(of: UInt32.self) { group in
                        for _ in 0..<16 { group.addTask { try await client.sleep(50) } }
                        for try await slept in group { #expect(slept == 50) }
                    }
                    elapsed = min(elapsed, ContinuousClock.now - started)
                }
                #expect(elapsed < .milliseconds(400), "16 calls of 50 ms took \(elapsed)")
                // A slow call does not hold up a quick one.
                let slow = Task { try await client.sleep(1500) }
                let quick = ContinuousClock.now
                #expect(try await client.echo(0xFFFF_FFFF) == 0xFFFF_FFFF)
                #expect(ContinuousClock.now - quick < .milliseconds(500))
                _ = try await slow.value
            }
        }
    }

    @Test("SIGTERM: the call in flight finishes, then crossbitd exits 0")
    func gracefulShutdown() async throws {
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (server: RPCAddress) async throws in
            let daemon = try await Daemon.start([
                "--idl", Paths.testIDL, "--listen", "lp64=tcp://127.0.0.1:0", "--route", "BROKER_TEST:1=lp64@\(server)",
            ])
            defer { daemon.process.kill(SIGKILL) }
            let client = BrokerTest.BrokerTestV1Client(
                transport: try RPCClient(address: daemon.address(.lp64), layout: .lp64))
            #expect(try await client.sleep(0) == 0)
            let inFlight = Task { try await client.sleep(700) }
            try await Task.sleep(for: .milliseconds(200))
            daemon.process.kill(SIGTERM)
            #expect(try await inFlight.value == 700)
            let status = await daemon.process.stop(grace: .seconds(10))
            #expect(status == 0, "\(daemon.log)")
        }
    }

    @Test("reply errors: PROG_UNAVAIL, PROG_MISMATCH with the known versions, PROC_UNAVAIL, GARBAGE_ARGS")
    func replyErrors() async throws {
        try await withSwiftServer([SampleService.dispatcher()]) { (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.repositoryRoot + "/IDL", "--listen", "ilp32=tcp://127.0.0.1:0",
                "--route", "CROSSBIT_SAMPLE:1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let client = try RPCClient(address: daemon.address(.ilp32), layout: .ilp32)
                func code(
                    _ program: UInt32, _ version: UInt32, _ procedure: UInt32, _ arguments: [UInt8] = []
                ) async -> RPCError? {
                    do {
                        _ = try await client.call(
                            ProcedureID(program: program, version: version, procedure: procedure), arguments: arguments,
                            options: .defaults)
                        return nil
                    } catch {
                        return error
                    }
                }
                #expect(await code(0x2000_7777, 1, 1)?.code == .programUnavailable)
                let mismatch = await code(Self.sampleProgram, 2, 1)
                #expect(mismatch?.code == .programMismatch)
                #expect(mismatch?.supportedVersions == 1...1)
                #expect(await code(Self.sampleProgram, 1, 99)?.code == .procedureUnavailable)
                #expect(await code(Self.sampleProgram, 1, 7, [1, 2, 3, 4])?.code == .garbageArguments)
                #expect(await code(Self.sampleProgram, 1, 0) == nil)
                _ = try await daemon.process.line(containing: "GARBAGE_ARGS")
            }
        }
    }

    @Test("garbage bytes and truncated records on every endpoint: no crash, other clients unaffected")
    func garbageOnEveryEndpoint() async throws {
        let socket = try Paths.temporaryDirectory("garbage").path + "/broker.sock"
        try await withSwiftServer([SampleService.dispatcher()]) { (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--listen", "lp64=unix://\(socket)",
                "--route", "CROSSBIT_SAMPLE:1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let steady = SampleClient(transport: try RPCClient(address: daemon.address(.ilp32), layout: .ilp32))
                #expect(try await steady.add(1, 1) == 2)
                var generator = SystemRandomNumberGenerator()
                let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let call: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0x20, 0, 0x10, 0x01, 0, 0, 0, 1, 0, 0, 0, 7]
                let inputs: [[UInt8]] = [
                    noise,
                    [0x80, 0, 0, 100] + Array(repeating: 0xAB, count: 10),  // a record cut short
                    [0x80, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],  // a record that is no call
                    [0xFF, 0xFF, 0xFF, 0xFF],  // a record length far over the maximum
                    [0x80, 0, 0, UInt8(call.count + 8)] + call + [0, 0, 0, 0],  // a call cut inside its header
                ]
                for address in [daemon.address(.ilp32), daemon.address(.lp64, unix: true)] {
                    for input in inputs { await sendRaw(input, to: address) }
                }
                #expect(daemon.process.isRunning)
                #expect(try await steady.add(2, 2) == 4)
                let unix = SampleClient(
                    transport: try RPCClient(address: daemon.address(.lp64, unix: true), layout: .lp64))
                #expect(try await unix.greet("after") == "Hello, after")
            }
        }
    }

    @Test("the control program: register, list, stats, unregister; a Swift server registers itself in one call")
    func controlProgram() async throws {
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (server: RPCAddress) async throws in
            let socket = try Paths.temporaryDirectory("control").path + "/broker.sock"
            try await withDaemon([
                "--idl", Paths.testIDL, "--listen", "lp64=tcp://127.0.0.1:0", "--listen", "lp64=unix://\(socket)",
            ]) { (daemon: Daemon) async throws in
                let control = try BrokerRegistration.client(.unix(path: socket))
                try await control.ping()
                #expect(try await control.list().routes.isEmpty)
                let client = BrokerTest.BrokerTestV1Client(
                    transport: try RPCClient(address: daemon.address(.lp64), layout: .lp64))
                await #expect(throws: RPCError.self) { try await client.echo(1) }
                try await BrokerRegistration.register(
                    program: Self.testProgram, version: 1,
                    at: .tcp(host: "127.0.0.1", port: server.port, layout: .lp64),
                    withBroker: .unix(path: socket))
                #expect(try await client.echo(0xFFFF_FFFF_FFFF) == 0xFFFF_FFFF_FFFF)
                let routes = try await control.list().routes
                #expect(routes.map(\.route.prog) == [Self.testProgram])
                #expect(routes.first?.route.address == server.description)
                #expect(routes.first?.origin == .registered && routes.first?.state == .external)
                let refused = try await control.register(
                    .init(prog: 0x2000_4444, vers: 1, layout: .lp64, address: "tcp://127.0.0.1:1"))
                #expect(refused.status == .errInvalid)
                let loop = try await control.register(
                    .init(prog: Self.testProgram, vers: 1, layout: .lp64, address: daemon.address(.lp64).description))
                #expect(loop.status == .errInvalid && loop.message.contains("would loop"), "\(loop)")
                let stats = try await control.stats()
                #expect(stats.calls >= 2 && stats.errors >= 1 && stats.routes == 1)
                try await BrokerRegistration.unregister(
                    program: Self.testProgram, version: 1, withBroker: .unix(path: socket))
                #expect(try await control.list().routes.isEmpty)
                await #expect(throws: RPCError.self) {
                    try await BrokerRegistration.unregister(
                        program: Self.testProgram, version: 1, withBroker: .unix(path: socket))
                }
            }
        }
    }

    @Test(
        "a bad configuration is a clear error and exit status 2",
        arguments: [
            (
                ["--listen", "ilp32=tcp://127.0.0.1:0", "--route", "0x20005555:1=lp64@tcp://127.0.0.1:1"],
                "crossbitd: error: route 0x20005555:1=lp64@tcp://127.0.0.1:1: no loaded IDL defines program "
                    + "0x20005555: give its .x file with --idl; known programs: BROKER_TEST (0x20001099)\n"
            ),
            (["--listen", "ilp32=tcp:/127.0.0.1:0"], "invalid address"),
            (
                ["--listen", "ilp32=tcp://127.0.0.1:0", "--route", "NOPE:1=lp64@tcp://127.0.0.1:1"],
                "no loaded IDL defines a program named 'NOPE'"
            ),
            (["--listen", "x86=tcp://127.0.0.1:0"], "unknown layout"),
            (["--config", "/nonexistent/crossbitd.toml"], "cannot read config file"),
        ])
    func badConfiguration(arguments: [String], message: String) async throws {
        let result = try await runTool(Paths.crossbitd, ["--idl", Paths.testIDL] + arguments, expectSuccess: false)
        #expect(result.status == 2, "\(result.combined)")
        #expect(result.combined.contains(message), "\(result.combined)")
    }

    @Test("the TOML file: same settings as the flags; unknown keys are exit status 2")
    func tomlFile() async throws {
        let directory = try Paths.temporaryDirectory("toml").path
        try """
        idl = "\(Paths.testIDL)"
        [[listen]]
        layout = "lp64"
        url = "tcp://127.0.0.1:0"
        """.write(toFile: directory + "/good.toml", atomically: true, encoding: .utf8)
        try "colour = \"blue\"\n".write(toFile: directory + "/bad.toml", atomically: true, encoding: .utf8)
        let bad = try await runTool(Paths.crossbitd, ["--config", directory + "/bad.toml"], expectSuccess: false)
        #expect(bad.status == 2 && bad.combined.contains("unknown key 'colour'"), "\(bad.combined)")
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (server: RPCAddress) async throws in
            try await withDaemon(["--config", directory + "/good.toml", "--route", "BROKER_TEST:1=lp64@\(server)"]) {
                (daemon: Daemon) async throws in
                let client = BrokerTest.BrokerTestV1Client(
                    transport: try RPCClient(address: daemon.address(.lp64), layout: .lp64))
                #expect(try await client.echo(5) == 5)
            }
        }
    }
}

extension RPCAddress {
    var port: UInt16 {
        if case .tcp(_, let port) = self { return port }
        return 0
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
