@testable import CrossbitBroker
import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Logging
import Synchronization
import Testing

/// crossbitd as a Linux daemon: systemd's notify protocol, reloads, checks
/// of a configuration, JSON logs (docs/operations.md).
@Suite("crossbitd under systemd, reloading, logging", .serialized, .timeLimit(.minutes(3)))
struct OperationsTests {
    @Test(
        "READY=1 comes once a call succeeds, WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM",
        arguments: [false, true])
    func notifiesSystemd(abstractSocket: Bool) async throws {
        let notify = try NotifySocket(abstract: abstractSocket)
        let socket = try Paths.temporaryDirectory("notify-broker").path + "/broker.sock"
        try await withSwiftServer([SampleService.dispatcher()]) { server in
            let daemon = ChildProcess(
                Paths.crossbitd,
                [
                    "--idl", Paths.sampleIDL, "--listen", "lp64=unix://\(socket)",
                    "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)",
                ], environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "300000"])
            try await daemon.start()
            defer { daemon.stopNow() }
            let first = await notify.receive()
            #expect(first == "READY=1", "\(daemon.output)")
            // The moment systemd hears READY=1, a client's call succeeds.
            let client = SampleClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
            #expect(try await client.greet("systemd") == "Hello, systemd")
            for _ in 0..<2 {
                #expect(await notify.receive(timeout: .seconds(5)) == "WATCHDOG=1")
            }
            daemon.kill(SIGTERM)
            let stopping = await notify.receive(until: { $0 != "WATCHDOG=1" })
            #expect(stopping == "STOPPING=1", "\(daemon.output)")
            #expect(await daemon.stop() == 0)
        }
    }

    @Test("WATCHDOG_PID of another process turns the watchdog off; bad values are refused")
    func watchdogSettings() throws {
        #expect(try SystemdNotifier.watchdogInterval(usec: "2000000", pid: nil) == .seconds(1))
        #expect(try SystemdNotifier.watchdogInterval(usec: "2000000", pid: "\(getpid())") == .seconds(1))
        #expect(try SystemdNotifier.watchdogInterval(usec: "2000000", pid: "\(getpid() + 1)") == nil)
        #expect(try SystemdNotifier.watchdogInterval(usec: nil, pid: nil) == nil)
        #expect(throws: ConfigurationError("WATCHDOG_USEC 'soon' is not a positive number of microseconds")) {
            try SystemdNotifier.watchdogInterval(usec: "soon", pid: nil)
        }
        #expect(throws: ConfigurationError.self) { try SystemdNotifier.socketAddress("relative/notify.sock") }
        #expect(throws: ConfigurationError.self) { try SystemdNotifier.socketAddress("@") }
        let long = "/" + String(repeating: "x", count: 200)
        #expect(throws: ConfigurationError.self) { try SystemdNotifier.socketAddress(long) }
    }

    /// A configuration file: an lp64 endpoint on `socket`, the sample program routed to `sample`,
    /// the test program too when `test` is given.
    func configuration(socket: String, sample: RPCAddress, test: RPCAddress? = nil) -> String {
        var text = """
            idl = ["\(Paths.sampleIDL)", "\(Paths.testIDL)"]

            [[listen]]
            layout = "lp64"
            url = "unix://\(socket)"

            [[route]]
            program = "CROSSBIT_SAMPLE"
            version = "CROSSBIT_SAMPLE_V1"
            layout = "lp64"
            url = "\(sample)"

            """
        if let test {
            text += """
                [[route]]
                program = "BROKER_TEST"
                version = "BROKER_TEST_V1"
                layout = "lp64"
                url = "\(test)"

                """
        }
        return text
    }

    @Test("16 clients call through 20 reloads, none fails; the last reload's routes are used; a broken file is refused")
    func reloadsWithoutDroppingCalls() async throws {
        let first = Observations(), second = Observations()
        let directory = try Paths.temporaryDirectory("reload").path
        let socket = directory + "/broker.sock", file = directory + "/crossbitd.toml"
        try await withSwiftServer([SampleService.dispatcher(first)]) { serverA in
            let services: [any RPCServiceDispatcher] = [
                SampleService.dispatcher(second), BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService()),
            ]
            try await withSwiftServer(services) { serverB in
                let start = configuration(socket: socket, sample: serverA)
                try start.write(toFile: file, atomically: true, encoding: .utf8)
                try await withDaemon(["--config", file]) { daemon in
                    let load = CallLoad(clients: 16, socket: socket)
                    let running = Task { try await load.run() }
                    for reload in 1...20 {
                        let final = reload == 20
                        let sample = reload.isMultiple(of: 2) ? serverB : serverA
                        let text = configuration(socket: socket, sample: sample, test: final ? serverB : nil)
                        try text.write(toFile: file, atomically: true, encoding: .utf8)
                        daemon.process.kill(SIGHUP)
                        #expect(await daemon.process.count(of: "reloaded:", atLeast: reload) == reload)
                    }
                    try "this is not TOML [".write(toFile: file, atomically: true, encoding: .utf8)
                    daemon.process.kill(SIGHUP)
                    _ = try await daemon.process.line(containing: "reload refused")
                    try await Task.sleep(for: .milliseconds(200))
                    load.stop()
                    let (calls, failures) = try await running.value
                    #expect(failures.count == 0, "\(failures.count) failed calls, first: \(failures.prefix(3))")
                    #expect(calls > 16 * 20, "only \(calls) calls")
                    // The last good configuration routes both programs to server B.
                    let client = SampleClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
                    #expect(try await client.echoSize(0xFEED_B0B) == 0xFEED_B0B)
                    #expect(second.sizes.contains(0xFEED_B0B) && !first.sizes.contains(0xFEED_B0B))
                    let transport = try RPCClient(address: .unix(path: socket), layout: .lp64)
                    let test = BrokerTest.BrokerTestV1Client(transport: transport)
                    #expect(try await test.echo(42) == 42)
                }
            }
        }
    }

    @Test("a reload keeps the routes registered at run time, unless a configured route now takes their program")
    func reloadKeepsRegisteredRoutes() throws {
        let listener = BrokerConfiguration.Listener(layout: .lp64, url: .unix(path: "/tmp/unused.sock"))
        let sample = BrokerConfiguration.Route(
            program: .name("CROSSBIT_SAMPLE"), version: .number(1), layout: .lp64,
            url: .tcp(host: "127.0.0.1", port: 7100))
        var configuration = BrokerConfiguration(
            idlPaths: [Paths.sampleIDL, Paths.testIDL], listeners: [listener], routes: [sample])
        let logger = Logger(label: "test")
        let table = RouteTable(try ConfiguredRouting(configuration).routing(replacing: nil, logger: logger))
        let registered = ServerRoute(
            program: BrokerProcessTests.testProgram, version: 1, layout: .ilp32, url: .unix(path: "/tmp/server.sock"),
            origin: .registered, owner: 0)
        #expect(try table.register(registered) { _ in nil }.get() == nil)
        var displaced: [ServerRoute] = []
        let same = try ConfiguredRouting(configuration).routing(replacing: table.current, logger: logger) {
            displaced.append($0)
        }
        #expect(same.all.contains(registered) && displaced.isEmpty)
        configuration.routes.append(
            BrokerConfiguration.Route(
                program: .name("BROKER_TEST"), version: .number(1), layout: .lp64,
                url: .tcp(host: "127.0.0.1", port: 7101)))
        let taken = try ConfiguredRouting(configuration).routing(replacing: table.current, logger: logger) {
            displaced.append($0)
        }
        #expect(displaced == [registered])
        guard case .found(let route) = taken.lookup(program: BrokerProcessTests.testProgram, version: 1) else {
            Issue.record("no route of the test program after the reload")
            return
        }
        #expect(route.origin == .configuration && route.url == .tcp(host: "127.0.0.1", port: 7101))
    }

    @Test("--check-config prints a summary and exits 0, or the error and 2")
    func checksConfigurations() async throws {
        let directory = try Paths.temporaryDirectory("check-config").path
        let good = directory + "/good.toml", bad = directory + "/bad.toml"
        let sample = RPCAddress.tcp(host: "127.0.0.1", port: 7100)
        let text = configuration(socket: directory + "/b.sock", sample: sample)
        try text.write(toFile: good, atomically: true, encoding: .utf8)
        let ok = try await runTool(Paths.crossbitd, ["--check-config", good])
        let summary = "1 endpoint(s), 1 route(s), 0 activated, 2 program version(s) in the IDL"
        #expect(ok.output == "crossbitd: \(good): ok: \(summary)\n")
        let unknown = text.replacingOccurrences(of: "\"CROSSBIT_SAMPLE\"", with: "\"NO_SUCH_PROGRAM\"")
        try unknown.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await runTool(Paths.crossbitd, ["--check-config", bad], expectSuccess: false)
        #expect(refused.status == 2)
        #expect(refused.error.contains("no loaded IDL defines a program named 'NO_SUCH_PROGRAM'"), "\(refused)")
        let ftp = "metrics = \"ftp://127.0.0.1:9464/metrics\"\n" + text
        try ftp.write(toFile: bad, atomically: true, encoding: .utf8)
        let badMetrics = try await runTool(Paths.crossbitd, ["--check-config", bad], expectSuccess: false)
        #expect(badMetrics.status == 2)
        #expect(badMetrics.error.contains("metrics 'ftp://127.0.0.1:9464/metrics': expected http://HOST:PORT/PATH"))
    }

    @Test("--log-format json writes one JSON object per line: time, level, label, message, metadata")
    func logsJSON() async throws {
        let socket = try Paths.temporaryDirectory("json-log").path + "/broker.sock"
        try await withSwiftServer([SampleService.dispatcher()]) { server in
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--listen", "lp64=unix://\(socket)", "--log-format", "json",
                "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)",
            ]) { daemon in
                let lines = daemon.log.split(separator: "\n")
                #expect(lines.count >= 3)
                for line in lines {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    let keys = Set(object?.keys.map { $0 } ?? [])
                    #expect(keys == ["time", "level", "label", "message", "metadata"], "\(line)")
                    #expect(object?["label"] as? String == "crossbitd")
                    #expect((object?["time"] as? String)?.hasPrefix("20") == true)
                }
                let routeLine = lines.first { $0.contains("\"message\":\"route\"") }
                let route = try JSONSerialization.jsonObject(with: Data((routeLine ?? "").utf8)) as? [String: Any]
                #expect((route?["metadata"] as? [String: String])?["route"]?.contains("CROSSBIT_SAMPLE") == true)
                #expect(route?["level"] as? String == "info")
            }
        }
    }
}

/// The broker's Prometheus endpoint, scraped with curl and checked with promtool.
@Suite("crossbitd's Prometheus metrics", .serialized, .timeLimit(.minutes(2)))
struct PrometheusTests {
    @Test("--metrics serves series promtool accepts, and the counters agree with the calls made")
    func servesPrometheusMetrics() async throws {
        let directory = try Paths.temporaryDirectory("metrics").path
        let socket = directory + "/broker.sock"
        let server = SampleService.dispatcher()
        try await withSwiftServer([server], layout: .ilp32) { server in
            try await withDaemon([
                "--idl", Paths.sampleIDL, "--listen", "lp64=unix://\(socket)",
                "--metrics", "http://127.0.0.1:0/metrics",
                "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=ilp32@\(server)",
            ]) { daemon in
                let client = SampleClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
                for value: UInt in [1, 2, 3] { #expect(try await client.echoSize(value) == value) }
                #expect(try await client.greet("metrics") == "Hello, metrics")
                await #expect(throws: RPCError.self) { try await client.echoSize(1 << 32) }  // does not fit ilp32
                let (url, text) = try await scrape(daemon)
                try text.write(toFile: directory + "/metrics.txt", atomically: true, encoding: .utf8)
                let check = try await runTool(
                    "/bin/sh", ["-c", "promtool check metrics < metrics.txt"], in: directory,
                    expectSuccess: false)
                // Exit 3 is lint only: swift-metrics has no help texts to give, so each family lacks
                // `# HELP` (docs/operations.md). Anything else (exit 1, other lint) fails the test.
                let lint = check.combined.split(separator: "\n").filter { !$0.hasSuffix(" no help text") }
                #expect([0, 3].contains(check.status) && lint.isEmpty, "promtool: \(check)\n\(text)")
                let route = "route=\"CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1\""
                #expect(value(in: text, "crossbit_broker_calls_total", route) == 5, "\(text)")
                #expect(value(in: text, "crossbit_broker_conversions_total", route) == 3)  // greet has no width
                #expect(value(in: text, "crossbit_broker_narrowing_failures_total", route) == 1)
                #expect(value(in: text, "crossbit_broker_errors_total", route, "kind=\"narrowing\"") == 1)
                #expect(value(in: text, "crossbit_broker_calls_in_flight", route) == 0)
                #expect(value(in: text, "crossbit_broker_call_duration_seconds_count", route) == 4)
                #expect((value(in: text, "crossbit_broker_received_bytes_total", route) ?? 0) > 0)
                #expect((value(in: text, "crossbit_broker_sent_bytes_total", route) ?? 0) > 0)
                let other = url.replacingOccurrences(of: "/metrics", with: "/other")
                let missing = try await runTool(
                    "curl", ["--silent", "--output", "/dev/null", "--write-out", "%{http_code}", other])
                #expect(missing.output == "404")
            }
        }
    }

    @Test("[limits] in the TOML: a connection past connections-per-peer is closed, and the endpoint's series say so")
    func countsLimitHits() async throws {
        let file = try Paths.temporaryDirectory("limits").path + "/crossbitd.toml"
        let sample = SampleService.dispatcher()
        try await withSwiftServer([sample]) { server in
            try """
            idl = "\(Paths.sampleIDL)"
            metrics = "http://127.0.0.1:0/metrics"

            [limits]
            connections-per-peer = 2

            [[listen]]
            layout = "lp64"
            url = "tcp://127.0.0.1:0"

            [[route]]
            program = "CROSSBIT_SAMPLE"
            version = "CROSSBIT_SAMPLE_V1"
            layout = "lp64"
            url = "\(server)"
            """.write(toFile: file, atomically: true, encoding: .utf8)
            try await withDaemon(["--config", file]) { daemon in
                let address = daemon.address(.lp64)
                let clients = try (0..<3).map { _ in
                    SampleClient(transport: try RPCClient(address: address, layout: .lp64))
                }
                for client in clients.prefix(2) { #expect(try await client.greet("in") == "Hello, in") }
                await #expect(throws: RPCError.self) { try await clients[2].greet("out") }
                let endpoint = "endpoint=\"\(address)\""
                let limit = "limit=\"connections_per_peer\""
                let (_, text) = try await scrape(daemon)
                // One hit per connection the third client opened: one, or two when it saw the first closed before
                // its call went out and tried once more on a new one (RPCClient's one retry).
                let hits = value(in: text, "crossbit_broker_endpoint_limit_hits_total", endpoint, limit)
                #expect(hits == 1 || hits == 2, "\(text)")
                #expect(
                    value(
                        in: text, "crossbit_broker_endpoint_limit_hits_total", endpoint,
                        "limit=\"connections_per_endpoint\"") == 0)
                #expect(value(in: text, "crossbit_broker_endpoint_connections", endpoint) == 2)
                #expect(daemon.log.contains("limit reached"), "\(daemon.log)")
            }
        }
    }

    /// The broker's metrics URL, from its log, and what it serves there now.
    func scrape(_ daemon: Daemon) async throws -> (url: String, text: String) {
        let line = try await daemon.process.line(containing: "metrics at ")
        let url = String(line.split(separator: " ").last ?? "")
        return (url, try await runTool("curl", ["--silent", "--show-error", "--fail", url]).output)
    }

    /// The value of the series `name` whose labels include every one of `labels`.
    func value(in text: String, _ name: String, _ labels: String...) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            guard labels.allSatisfy({ line.contains($0) }), let last = line.split(separator: " ").last else { continue }
            return Double(last)
        }
        return nil
    }
}

/// Clients calling the broker in a loop until stopped; collects failures.
final class CallLoad: Sendable {
    let clients: Int
    let socket: String
    private let stopped = Atomic(false)

    init(clients: Int, socket: String) {
        self.clients = clients
        self.socket = socket
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Runs the clients until ``stop()``; returns how many calls they made and the failures.
    func run() async throws -> (calls: Int, failures: [String]) {
        try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for index in 0..<clients {
                let client = SampleClient(transport: try RPCClient(address: .unix(path: socket), layout: .lp64))
                group.addTask {
                    var calls = 0, failures: [String] = []
                    while !self.stopped.load(ordering: .relaxed) {
                        do {
                            let value = UInt(index * 1_000_000 + calls)
                            if try await client.echoSize(value) != value { failures.append("wrong echo of \(value)") }
                        } catch {
                            failures.append("\(error)")
                        }
                        calls += 1
                    }
                    return (calls, failures)
                }
            }
            return try await group.reduce(into: (0, [])) {
                $0.0 += $1.0; $0.1 += $1.1
            }
        }
    }
}
