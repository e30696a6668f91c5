import CrossbitBroker
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
            "/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Paths.products + "/crossbit"] + arguments,
            expectSuccess: false)
    }

    @Test("a TCP caller cannot change a configured route; a 32-bit rpcgen client still reaches the configured server")
    func tcpCallerCannotRedirect() async throws {
        let peers = try await CSamplePeers.peers()
        let configured = Observations(), other = Observations()
        let socket = try folder("redirect") + "/broker.sock"
        try await withSwiftServer([sampleServer(configured)]) { (server: RPCAddress) async throws in
            try await withSwiftServer([sampleServer(other)]) { (elsewhere: RPCAddress) async throws in
                try await withDaemon([
                    "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--listen", "lp64=tcp://127.0.0.2:0",
                    "--listen", "lp64=unix://\(socket)", "--route", "CROSSBIT_SAMPLE:1=lp64@\(server)",
                ]) { (daemon: Daemon) async throws in
                    let overTCP = try BrokerRegistration.client(daemon.address(.lp64))
                    let moved = BrokerControl.BrokerRoute(
                        prog: BrokerProcessTests.sampleProgram, vers: 1, layout: .lp64, address: elsewhere.description)
                    let register = try await overTCP.register(moved)
                    #expect(register.status == .errDenied)
                    #expect(register.message.contains("only over a unix-socket endpoint"), "\(register.message)")
                    #expect(register.message.contains("unix://\(socket)"), "\(register.message)")
                    let unregister = try await overTCP.unregister(.init(prog: BrokerProcessTests.sampleProgram, vers: 1))
                    #expect(unregister.status == .errDenied)
                    // Not even the broker's own user replaces a configured route at run time.
                    let local = try await BrokerRegistration.client(.unix(path: socket)).register(moved)
                    #expect(local.status == .errDenied && local.message.contains("comes from the configuration"), "\(local)")

                    let result = try await runTool(peers.client, ["127.0.0.1", "\(daemon.port(.ilp32))"], expectSuccess: false)
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

    @Test("over a unix endpoint the broker's user registers; another uid is denied, and cannot take a route it does not own")
    func routesBelongToTheirUser() async throws {
        try await withSwiftServer([BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())]) { (server: RPCAddress) async throws in
            let directory = try folder("owners")
            let key = String(format: "0x%x:1", BrokerProcessTests.testProgram)
            for allowNobody in [false, true] {
                let socket = "\(directory)/broker-\(allowNobody).sock"
                let address = "unix://\(socket)"
                let config = try configFile(directory, """
                    idl = "\(Paths.testIDL)"
                    \(allowNobody ? "[control]\nallow-uids = [\"nobody\"]" : "")
                    [[listen]]
                    layout = "lp64"
                    url = "\(address)"
                    group = "nogroup"
                    """)
                try await withDaemon(["--config", config]) { (daemon: Daemon) async throws in
                    let root = try await runTool(Paths.products + "/crossbit", ["register", address, key, "lp64@\(server)"])
                    #expect(root.output.contains("registered BROKER_TEST"), "\(root)")
                    let nobody = try await crossbitAsNobody(["register", address, key, "lp64@tcp://127.0.0.1:9"])
                    #expect(nobody.status == 1)
                    let expected = allowNobody
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
                        Paths.products + "/crossbit", ["register", address, key, "lp64@tcp://192.0.2.1:9"], expectSuccess: false)
                    #expect(offHost.error.contains("tcp://192.0.2.1:9 is not on this host"), "\(offHost)")
                    let takenBack = try await runTool(Paths.products + "/crossbit", ["register", address, key, "lp64@\(server)"])
                    #expect(takenBack.output.contains("replaced the route"), "root may replace any registered route")
                    let list = try await runTool(Paths.products + "/crossbit", ["list", address]).output
                    #expect(list.contains("denied: 3 route changes"), "\(list)")
                }
            }
        }
    }

    /// Writes a broker configuration into `directory`; returns its path.
    func configFile(_ directory: String, _ text: String) throws -> String {
        let path = directory + "/crossbitd-\(UUID().uuidString).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func sampleServer(_ observations: Observations) -> any RPCServiceDispatcher {
        CrossbitSample.CrossbitSampleV1Dispatcher(service: SampleService(observations: observations))
    }
}
