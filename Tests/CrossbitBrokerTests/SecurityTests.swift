import CrossbitBroker
import CrossbitBrokerControl
import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// docs/security.md, shown with real processes: who may change routes, who
/// may call them, and what the broker checks before a server sees a call.
@Suite("crossbitd's access rules and validation", .serialized, .timeLimit(.minutes(3)))
struct SecurityTests {
    typealias TestClient = BrokerTest.BrokerTestV1Client<RPCClient>

    /// A folder for a broker's unix socket and config: others may enter it,
    /// so that a process of another uid can reach a socket whose mode lets it.
    func folder(_ name: String) throws -> String {
        let path = try Paths.temporaryDirectory(name).path
        #expect(chmod(path, 0o755) == 0)
        return path
    }

    /// Runs `crossbit` as uid `nobody`, group `nogroup`, no other groups.
    func crossbitAsNobody(_ arguments: [String]) async throws -> ToolOutput {
        try await runTool(
            "/usr/bin/setpriv",
            ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Paths.products + "/crossbit"] + arguments,
            expectSuccess: false)
    }

    @Test("a TCP caller cannot change a configured route; a 32-bit rpcgen client still reaches the configured server")
    func tcpCallerCannotRedirect() async throws {
        let peers = try await CPeers.shared.build(.ilp32, .sample)
        let configured = Observations(), other = Observations()
        let socket = try folder("redirect") + "/broker.sock"
        try await withSwiftServer([SampleService.dispatcher(configured)]) { (server: RPCAddress) async throws in
            try await withSwiftServer([SampleService.dispatcher(other)]) { (elsewhere: RPCAddress) async throws in
                try await withDaemon([
                    "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--listen",
                    "lp64=tcp://127.0.0.2:0",
                    "--listen", "lp64=unix://\(socket)", "--route", "CROSSBIT_SAMPLE:1=lp64@\(server)",
                ]) { (daemon: Daemon) async throws in
                    let overTCP = try BrokerRegistration.client(daemon.address(.lp64))
                    let moved = BrokerControl.BrokerRoute(
                        prog: BrokerProcessTests.sampleProgram, vers: 1, layout: .lp64, address: elsewhere.description)
                    let register = try await overTCP.register(moved)
                    #expect(register.status == .errDenied)
                    #expect(register.message.contains("only over a unix-socket endpoint"), "\(register.message)")
                    #expect(register.message.contains("unix://\(socket)"), "\(register.message)")
                    let unregister = try await overTCP.unregister(
                        .init(prog: BrokerProcessTests.sampleProgram, vers: 1))
                    #expect(unregister.status == .errDenied)
                    // Not even the broker's own user replaces a configured route at run time.
                    let local = try await BrokerRegistration.client(.unix(path: socket)).register(moved)
                    #expect(
                        local.status == .errDenied && local.message.contains("comes from the configuration"), "\(local)"
                    )

                    let result = try await runTool(
                        peers.client, ["127.0.0.1", "\(daemon.port(.ilp32))", "--through-broker"], expectSuccess: false)
                    #expect(result.combined.hasSuffix("ALL PASSED\n"), "\(result.combined)")
                    #expect(!configured.sizes.isEmpty)
                    #expect(other.sizes.isEmpty && other.handles.isEmpty, "the other server was called")
                    let denial = try await daemon.process.line(containing: "control call denied")
                    #expect(denial.contains("peer=127.0.0.1:"), "\(denial)")
                    #expect(try await overTCP.stats().controlDenials == 3)
                }
            }
        }
    }

    @Test(
        "on a unix endpoint the broker's user registers; another uid is denied and cannot take a route it does not own"
    )
    func routesBelongToTheirUser() async throws {
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) {
            (server: RPCAddress) async throws in
            let directory = try folder("owners")
            let key = String(format: "0x%x:1", BrokerProcessTests.testProgram)
            for allowNobody in [false, true] {
                let socket = "\(directory)/broker-\(allowNobody).sock"
                let address = "unix://\(socket)"
                let config = try configFile(
                    directory,
                    """
                    idl = "\(Paths.testIDL)"
                    \(allowNobody ? "[control]\nallow-uids = [\"nobody\"]" : "")
                    [[listen]]
                    layout = "lp64"
                    url = "\(address)"
                    group = "nogroup"
                    """)
                try await withDaemon(["--config", config]) { (daemon: Daemon) async throws in
                    let root = try await runTool(
                        Paths.products + "/crossbit", ["register", address, key, "lp64@\(server)"])
                    #expect(root.output.contains("registered BROKER_TEST"), "\(root)")
                    let nobody = try await crossbitAsNobody(["register", address, key, "lp64@tcp://127.0.0.1:9"])
                    #expect(nobody.status == 1)
                    let expected =
                        allowNobody
                        ? "the route was registered by uid 0: only that user or root may change it"
                        : "uid 65534 may not change routes: root, uid 0 and the [control] allow-uids and allow-gids may"
                    #expect(nobody.error.contains(expected), "\(nobody)")
                    let removal = try await crossbitAsNobody(["unregister", address, key])
                    #expect(removal.status == 1 && removal.error.contains(expected), "\(removal)")
                    let client = TestClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
                    #expect(try await client.echo(7) == 7)
                    guard allowNobody else { return }
                    _ = try await runTool(Paths.products + "/crossbit", ["unregister", address, key])
                    let own = try await crossbitAsNobody(["register", address, key, "lp64@\(server)"])
                    #expect(own.status == 0, "\(own)")
                    let offHost = try await runTool(
                        Paths.products + "/crossbit", ["register", address, key, "lp64@tcp://192.0.2.1:9"],
                        expectSuccess: false)
                    #expect(offHost.error.contains("tcp://192.0.2.1:9 is not on this host"), "\(offHost)")
                    let takenBack = try await runTool(
                        Paths.products + "/crossbit", ["register", address, key, "lp64@\(server)"])
                    #expect(takenBack.output.contains("replaced the route"), "root may replace any registered route")
                    let list = try await runTool(Paths.products + "/crossbit", ["list", address]).output
                    #expect(list.contains("denied: 3 route changes"), "\(list)")
                }
            }
        }
    }

    @Test(
        "per-route allow-from and allow-uids: allowed callers are served, others get AUTH_TOOWEAK and reach no server")
    func perRouteAccess() async throws {
        let peers = try await CPeers.shared.build(.ilp32, .sample)
        let service = BrokerTestService()
        try await withSwiftServer([SampleService.dispatcher(), BrokerTest.BrokerTestV1Dispatcher(service: service)]) {
            (server: RPCAddress) async throws in
            let directory = try folder("route-access")
            for (sampleFrom, cAllowed) in [("127.0.0.1/32", true), ("10.0.0.0/8", false)] {
                let socket = "\(directory)/broker-\(cAllowed).sock"
                let config = try configFile(
                    directory,
                    """
                    idl = ["\(Paths.sampleIDL)", "\(Paths.testIDL)"]
                    [[listen]]
                    layout = "ilp32"
                    url = "tcp://127.0.0.1:0"
                    [[listen]]
                    layout = "lp64"
                    url = "unix://\(socket)"
                    group = "nogroup"
                    [[route]]
                    program = "CROSSBIT_SAMPLE"
                    version = 1
                    layout = "lp64"
                    url = "\(server)"
                    allow-from = ["\(sampleFrom)"]
                    [[route]]
                    program = "BROKER_TEST"
                    version = 1
                    layout = "lp64"
                    url = "\(server)"
                    allow-uids = [0]
                    allow-from = ["10.0.0.0/8", "fd00::/8"]
                    """)
                try await withDaemon(["--config", config]) { (daemon: Daemon) async throws in
                    let result = try await runTool(
                        peers.client, ["127.0.0.1", "\(daemon.port(.ilp32))", "--through-broker"], expectSuccess: false)
                    if cAllowed {
                        #expect(result.combined.hasSuffix("ALL PASSED\n"), "\(result.combined)")
                        return
                    }
                    #expect(result.combined.contains("RPC: Authentication error"), "\(result.combined)")
                    let before = service.calls.value
                    let overTCP = TestClient(transport: try RPCClient(address: daemon.address(.ilp32), layout: .ilp32))
                    let error = await #expect(throws: RPCError.self) { try await overTCP.echo(1) }
                    #expect(error?.code == .authenticationError, "\(String(describing: error))")
                    let asRoot = TestClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
                    #expect(try await asRoot.echo(0xFFFF_FFFF_FFFF) == 0xFFFF_FFFF_FFFF)
                    let nobody = try await crossbitAsNobody([
                        "call", "--idl", Paths.testIDL, "--layout", "lp64", "unix://\(socket)",
                        "BROKER_TEST.BROKER_TEST_V1.ECHO", "5",
                    ])
                    #expect(nobody.status == 1 && nobody.error.contains("authentication error"), "\(nobody)")
                    #expect(service.calls.value == before + 1, "a denied call reached the server")
                    let denial = try await daemon.process.line(containing: "peer=uid 65534 gid 65534 pid")
                    #expect(denial.contains("call denied: the route does not let this peer in"), "\(denial)")
                    #expect(try await BrokerRegistration.client(.unix(path: socket)).stats().callDenials == 3)
                }
            }
        }
    }

    @Test(
        "pass-through undeclared enum value, armless discriminant, over-bound length: GARBAGE_ARGS, server sees nothing"
    )
    func validatesPassThroughCalls() async throws {
        let service = BrokerTestService()
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: service)]) {
            (server: RPCAddress) async throws in
            try await withDaemon([
                "--idl", Paths.testIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--route",
                "BROKER_TEST:1=lp64@\(server)",
            ]) { (daemon: Daemon) async throws in
                let client = try RPCClient(address: daemon.address(.ilp32), layout: .ilp32)
                let check = ProcedureID(program: BrokerProcessTests.testProgram, version: 1, procedure: 3)
                func request(mode: Int32 = 1, which: Int32 = 1, values: UInt32 = 2) -> [UInt8] {
                    [mode, which, 5, Int32(values)].flatMap(Self.word) + (0..<values).flatMap { Self.word(Int32($0)) }
                }
                #expect(try await client.call(check, arguments: request(), options: .defaults) == Self.word(2))
                for bad in [request(mode: 99), request(which: 3), request(values: 5)] {
                    let error = await #expect(throws: RPCError.self) {
                        try await client.call(check, arguments: bad, options: .defaults)
                    }
                    #expect(error?.code == .garbageArguments, "\(String(describing: error))")
                }
                #expect(service.calls.value == 1, "an invalid call reached the server")
                let reasons = [
                    "arg1.mode: invalid value 99 for enum test_mode (at byte 0)",
                    "arg1.choice: invalid discriminant 3 for union test_choice (at byte 4)",
                    "arg1.values: length 5 exceeds the maximum 4 (at byte 12)",
                ]
                for reason in reasons {
                    _ = try await daemon.process.line(containing: reason)
                }
                let stats = try await BrokerRegistration.client(daemon.address(.ilp32)).stats()
                #expect(stats.invalidMessages == 3)
            }
        }
    }

    @Test("an endpoint on every interface without allow-from is named by a warning at start")
    func warnsAboutOpenEndpoints() async throws {
        try await withDaemon(["--idl", Paths.testIDL, "--listen", "ilp32=tcp://0.0.0.0:0"]) {
            (daemon: Daemon) async throws in
            let warning = try await daemon.process.line(containing: "listens on every interface")
            #expect(warning.contains("warning"))
            #expect(
                warning.contains(
                    "endpoint tcp://0.0.0.0:0 listens on every interface, from any address (set allow-from)"))
        }
    }

    /// A server that appends one word to every result, as Debian's `rpc.rstatd` does to `RSTATPROC_STATS`.
    struct TrailingWord: RPCServiceDispatcher {
        let wrapped: any RPCServiceDispatcher
        var program: UInt32 { wrapped.program }
        var version: UInt32 { wrapped.version }

        func dispatch(procedure: UInt32, arguments: [UInt8], context: RPCCallContext) async throws(RPCError) -> [UInt8]
        {
            try await wrapped.dispatch(procedure: procedure, arguments: arguments, context: context) + word(42)
        }
    }

    @Test(
        "trailing word after a result: ignored and counted by generated client, crossbit call, broker; refused if asked"
    )
    func trailingBytesInReplies() async throws {
        let server = TrailingWord(wrapped: BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService()))
        try await withSwiftServer([server]) { (address: RPCAddress) async throws in
            let transport = try RPCClient(address: address, layout: .lp64)
            #expect(try await TestClient(transport: transport).echo(5) == 5)
            #expect(transport.ignoredTrailingByteReplies == 1)
            let strict = try RPCClient(address: address, layout: .lp64, options: .init(trailingBytes: .refuse))
            let error = await #expect(throws: RPCError.self) { try await TestClient(transport: strict).echo(5) }
            #expect(error?.code == .decodingFailed && error?.message.contains("4 bytes left over") == true)

            let call = [
                "call", "--idl", Paths.testIDL, "--layout", "lp64", "\(address)", "BROKER_TEST.BROKER_TEST_V1.ECHO",
                "5",
            ]
            let lenient = try await runTool(Paths.products + "/crossbit", call)
            #expect(
                lenient.output == "5\n" && lenient.error == "note: ignored 4 bytes after the result\n", "\(lenient)")
            let refused = try await runTool(
                Paths.products + "/crossbit", call + ["--refuse-trailing-bytes"], expectSuccess: false)
            #expect(refused.status == 1 && refused.error.contains("4 bytes left over after the value"), "\(refused)")

            let directory = try folder("trailing")
            for policy in ["ignore", "refuse"] {
                let config = try configFile(
                    directory,
                    """
                    idl = "\(Paths.testIDL)"
                    [[listen]]
                    layout = "ilp32"
                    url = "tcp://127.0.0.1:0"
                    [[route]]
                    program = "BROKER_TEST"
                    version = 1
                    layout = "lp64"
                    url = "\(address)"
                    trailing-bytes = "\(policy)"
                    """)
                try await withDaemon(["--config", config]) { (daemon: Daemon) async throws in
                    let client = TestClient(transport: try RPCClient(address: daemon.address(.ilp32), layout: .ilp32))
                    guard policy == "refuse" else {
                        #expect(try await client.echo(0xFFFF_FFFF) == 0xFFFF_FFFF)  // converted
                        #expect(try await client.sleep(1) == 1)  // passed through
                        #expect(client.transport.ignoredTrailingByteReplies == 0, "the broker forwards the value alone")
                        #expect(
                            try await BrokerRegistration.client(daemon.address(.ilp32)).stats().trailingBytesIgnored
                                == 2)
                        return
                    }
                    for call in [{ _ = try await client.echo(1) }, { _ = try await client.sleep(1) }]
                        as [() async throws -> Void]
                    {
                        let error = await #expect(throws: RPCError.self) { try await call() }
                        #expect(error?.code == .systemError, "\(String(describing: error))")
                    }
                }
            }
        }
    }

    static func word(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// Writes a broker configuration into `directory`; returns its path.
    func configFile(_ directory: String, _ text: String) throws -> String {
        let path = directory + "/crossbitd-\(UUID().uuidString).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
