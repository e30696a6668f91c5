import CrossbitCore
import Foundation

/// Settings of one `crossbit-bench run`.
struct BenchSettings {
    /// The repository root (Benchmarks/ is in it).
    var repository: String
    /// Where the root package's release products are (crossbit-idl, crossbitd).
    var products: String
    /// Measured runs per figure (after a warm-up); figures are their medians.
    var runs = 5
    /// The file the table is written to.
    var output: String
    /// The groups of rows to run (`--only codec,latency,broker,one-cpu`); nil for all.
    var only: Set<String>?
    /// This executable, started again for the Swift server and client processes.
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

    init(arguments: [String]) throws {
        repository =
            URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        products = repository + "/.build/release"
        output = repository + "/BENCHMARKS.md"
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchFailure("\(flag) needs a value") }
            switch flag {
            case "--repository": repository = value
            case "--products": products = value
            case "--output": output = value
            case "--only":
                let groups = Set(value.split(separator: ",").map(String.init))
                let unknown = groups.subtracting(Self.groups)
                guard unknown.isEmpty else {
                    throw BenchFailure("--only: unknown group \(unknown.sorted()) (groups: \(Self.groups.sorted()))")
                }
                only = groups
            case "--runs":
                guard let runs = Int(value), runs > 0 else { throw BenchFailure("--runs needs a positive number") }
                self.runs = runs
            default:
                throw BenchFailure(
                    "unknown option \(flag) (--repository DIR, --products DIR, --runs N, --output FILE, --only GROUPS)")
            }
        }
    }

    /// The groups of rows `--only` names.
    static let groups: Set<String> = ["codec", "latency", "broker", "one-cpu", "idle", "shm"]

    /// Whether the rows of `group` run.
    func runs(_ group: String) -> Bool { only?.contains(group) ?? true }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Two whitespace-separated numbers of a program's one-line output.
func numbers(_ output: String) throws -> [Double] {
    let values = output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
    guard values.count >= 2 else { throw BenchFailure("unexpected output '\(output)'") }
    return values
}

/// Runs every row and returns the table.
struct Benchmark {
    let settings: BenchSettings
    let c: CBaselines
    let temporary: String
    var rows: [Row] = []

    init(settings: BenchSettings, temporary: String) async throws {
        self.settings = settings
        self.temporary = temporary
        log("building the C baselines (crossbit-idl rpcl, rpcgen -N, gcc -O2) in \(temporary)")
        c = try await CBaselines.build(
            repository: settings.repository, crossbitIDL: settings.products + "/crossbit-idl", into: temporary)
    }

    /// Runs the groups asked for; after each, every child it started is stopped (a group stops its
    /// children itself when it is done with them, but not on the ways out that a failure takes).
    mutating func runAll() async {
        if settings.runs("codec") { await codecRows() }
        await Child.stopAll()
        if settings.runs("latency") { await latencyRows(oneCPU: false) }
        await Child.stopAll()
        if settings.runs("broker") { await brokerRows() }
        await Child.stopAll()
        if settings.runs("one-cpu") { await oneCPURows() }
        await Child.stopAll()
        if settings.runs("idle") { await idleRows() }
        await Child.stopAll()
        if settings.runs("shm") { await sharedRegionRows() }
        await Child.stopAll()
        // Each section's rows next to the others of their number, in the order they were measured.
        func section(_ row: Row) -> Int { Int(row.name.prefix { $0 != " " }) ?? 0 }
        rows = rows.enumerated().sorted { (section($0.element), $0.offset) < (section($1.element), $1.offset) }.map(
            \.element)
    }

    // MARK: 1. Codec throughput

    private mutating func codecRows() async {
        let cases = [("flat", "flat struct of scalars"), ("batch", "1,000 mixed items"), ("payload", "1 MiB opaque")]
        for (name, title) in cases {
            for layout in [WireLayout.ilp32, .lp64] {
                let label = "1 codec \(title), \(layout)"
                log("row: \(label)")
                do {
                    let codec = layout == .ilp32 ? c.ilp32Codec : c.lp64Codec
                    func swift(_ seconds: Double) throws -> Double {
                        let (bytes, iterations, ns) = try SwiftCodec.measure(name, layout: layout, seconds: seconds)
                        return Double(bytes) * Double(iterations) / Double(ns) * 1e3
                    }
                    func cCodec(_ seconds: Double) async throws -> Double {
                        let figures = try numbers(await runTool(codec, [name, "\(seconds)"]))
                        return figures[0] * figures[1] / figures[2] * 1e3
                    }
                    _ = try swift(0.2)
                    _ = try await cCodec(0.2)
                    var swiftRuns: [Double] = []
                    var cRuns: [Double] = []
                    for _ in 0..<settings.runs {
                        swiftRuns.append(try swift(0.4))
                        cRuns.append(try await cCodec(0.4))
                    }
                    rows.append(
                        Row(
                            label + " (encode+decode)", crossbit: swiftRuns, c: cRuns, unit: "MB/s", digits: 0,
                            target: .atLeast(1.0)))
                } catch {
                    rows.append(Row(label, unavailable: "\(error)"))
                }
            }
        }
    }

    // MARK: 2. Latency, Swift↔Swift vs C↔C

    private mutating func latencyRows(oneCPU: Bool) async {
        for transport in ["tcp", "unix"] {
            let label = "2 small call \(transport)\(oneCPU ? ", one CPU" : ""), Swift↔Swift vs C↔C"
            log("row: \(label)")
            do {
                let swiftServer = try await startSwiftServer(transport, name: "swift-\(transport).sock")
                let cServer = try await startCServer(c.lp64.server, transport, name: "c-\(transport).sock")
                let measured = try await latencies(
                    first: { [settings] in [settings.executable, "client"] + swiftServer.clientArguments },
                    second: { [c.lp64.client] + cServer.clientArguments },
                    mode: [])
                addLatencyRows(label, measured, target: oneCPU ? nil : 1.15)
                await Child.stop([swiftServer.child, cServer.child])
            } catch {
                rows.append(Row(label, unavailable: "\(error)"))
            }
        }
        await sideRows(oneCPU: oneCPU)
    }

    /// Latency of `first` and `second` clients, interleaved run by run: each
    /// run's median and p99, in µs; with `servers`, also the CPU time the
    /// server process of each side took per call, in µs.
    private func latencies(
        first: () -> [String], second: () -> [String], mode: [String], servers: (Child, Child)? = nil
    ) async throws -> (first: Latency, second: Latency) {
        // Short runs, many of them, alternating: on a small virtual machine a
        // ping-pong's latency jumps between two levels (how quickly an idle
        // vCPU wakes), and a long run of one side could catch only one of them.
        let calls = 1500
        // Both clients (bench_client.c and `crossbit-bench client`) make 200 calls before they time any.
        let callsPerRun = Double(calls + 200)
        var a = Latency()
        var b = Latency()
        for _ in 0..<(4 * settings.runs) {
            for (command, isFirst) in [(first(), true), (second(), false)] {
                let server = servers.map { isFirst ? $0.0 : $0.1 }
                let before = server?.cpuNanoseconds
                let figures = try numbers(
                    await runTool(command[0], Array(command.dropFirst()) + ["latency", "\(calls)"] + mode))
                var cpu: Double?
                if let before, let after = server?.cpuNanoseconds { cpu = Double(after - before) / callsPerRun / 1e3 }
                if isFirst { a.add(figures, cpu: cpu) } else { b.add(figures, cpu: cpu) }
            }
        }
        return (a, b)
    }

    /// The medians and p99s of latency runs, in µs, and the server's CPU time per call when it was measured.
    struct Latency {
        var medians: [Double] = []
        var p99s: [Double] = []
        var cpuPerCall: [Double] = []

        mutating func add(_ nanoseconds: [Double], cpu: Double? = nil) {
            medians.append(nanoseconds[0] / 1e3)
            p99s.append(nanoseconds[1] / 1e3)
            if let cpu { cpuPerCall.append(cpu) }
        }
    }

    /// The median and p99 rows of a latency comparison.
    private mutating func addLatencyRows(
        _ label: String, _ measured: (first: Latency, second: Latency), target: Double?
    ) {
        rows.append(
            Row(
                label + ", median", crossbit: measured.first.medians, c: measured.second.medians, unit: "µs", digits: 1,
                target: target.map { .atMost($0) }))
        rows.append(
            Row(
                label + ", p99", crossbit: measured.first.p99s, c: measured.second.p99s, unit: "µs", digits: 1,
                target: target.map { .atMost($0) }))
    }

    /// A running server and the arguments its clients take (`tcp HOST PORT` or `unix PATH`).
    struct Server {
        var child: Child
        var clientArguments: [String]
    }

    func startSwiftServer(_ transport: String, name: String) async throws -> Server {
        let child = try await Child.start(
            settings.executable, ["serve", transport, transport == "tcp" ? "0" : "\(temporary)/\(name)", "lp64"],
            name: "swift server")
        let address = try await readyValue(of: child)
        if transport == "tcp", let port = address.split(separator: ":").last {
            return Server(child: child, clientArguments: ["tcp", "127.0.0.1", String(port)])
        }
        return Server(child: child, clientArguments: ["unix", "\(temporary)/\(name)"])
    }

    func startCServer(_ executable: String, _ transport: String, name: String) async throws -> Server {
        let child = try await Child.start(
            executable, [transport, transport == "tcp" ? "0" : "\(temporary)/\(name)"], name: "C server")
        let place = try await readyValue(of: child)
        return Server(
            child: child, clientArguments: transport == "tcp" ? ["tcp", "127.0.0.1", place] : ["unix", place])
    }

    /// Starts `command`, a program that prints `READY PORT` once it listens on 127.0.0.1 (the C relay, the bare
    /// NIO server and relay).
    func startListening(_ command: [String], name: String) async throws -> Server {
        let child = try await Child.start(command[0], Array(command.dropFirst()), name: name)
        return Server(child: child, clientArguments: ["tcp", "127.0.0.1", try await readyValue(of: child)])
    }

    /// What follows `READY ` in the line a server prints once it listens: its port, path or address.
    private func readyValue(of child: Child) async throws -> String {
        String(try await child.waitForLine(containing: "READY").dropFirst("READY ".count))
    }

    // MARK: 3–6. The broker

    /// The rows of groups 3–6 against one broker and one direct C server, started here and stopped at the end.
    private mutating func brokerRows() async {
        let names = [
            "3 32-bit C → broker → 64-bit Swift vs 32-bit C → C, PING_WIDE",
            "3 pass-through (no width-dependent field), PING_PLAIN",
            "4 calls/s", "5 1 MiB echo through the broker vs direct", "6 broker resident memory",
        ]
        let swiftServer: Server
        let broker: Server
        let direct: Server
        let idleKiB: Int
        let anonymousKiB: Int
        do {
            swiftServer = try await startSwiftServer("tcp", name: "")
            broker = try await startBroker(routingTo: swiftServer)
            try await Task.sleep(for: .milliseconds(300))
            idleKiB = broker.child.residentKiB ?? 0
            anonymousKiB = broker.child.anonymousKiB ?? 0
            direct = try await startCServer(c.ilp32.server, "tcp", name: "")
        } catch {
            log("broker unavailable: \(error)")
            rows += names.map { Row($0, unavailable: "broker unavailable: \(error)") }
            return
        }
        await brokerLatencyRows([(names[0], broker, [], 2.2), (names[1], broker, ["plain"], 2.0)], direct: direct)
        await relayFloorRows(direct: direct)
        await validationRows(broker: broker, server: swiftServer)
        let peakKiB = await brokerRateRows(broker: broker, direct: direct, idleKiB: idleKiB)
        await brokerPayloadRow(names[3], broker: broker, direct: direct)
        rows.append(
            Row(
                names[4] + ", idle", crossbit: Double(idleKiB) / 1024, c: nil, unit: "MiB", digits: 1,
                target: .atMostValue(20, unit: "MiB")))
        rows.append(
            Row(
                names[4] + ", idle: of it anonymous (heap, stacks; the rest is pages of its executable and libraries)",
                crossbit: Double(anonymousKiB) / 1024, c: nil, unit: "MiB", digits: 1, target: nil))
        rows.append(
            Row(
                names[4] + ", peak under the 32-client load", crossbit: Double(peakKiB) / 1024, c: nil, unit: "MiB",
                digits: 1, target: nil))
    }

    /// Group 3's floors with nothing pinned, as the broker's targets are measured: the C relay and the bare
    /// SwiftNIO relay in the broker's place. No broker can take less than the relay of its kind.
    private mutating func relayFloorRows(direct: Server) async {
        let names = [
            "3 floor: a C relay (no RPC parsing) vs 32-bit C → C, PING_WIDE",
            "3 floor: a bare SwiftNIO relay (no RPC parsing) vs 32-bit C → C, PING_WIDE",
        ]
        do {
            let relays = try await startRelays(to: direct)
            await brokerLatencyRows([(names[0], relays.c, [], nil), (names[1], relays.nio, [], nil)], direct: direct)
            await Child.stop([relays.c.child, relays.nio.child])
        } catch {
            markUnavailable(names, error)
        }
    }

    /// What validating forwarded calls costs (docs/security.md): the pass-through procedure through the broker
    /// next to the same through a broker whose route relaxes every check, to the same Swift server. Unpinned, as
    /// the broker's targets are measured; the one-CPU rows give the CPU time of both.
    private mutating func validationRows(broker: Server, server: Server) async {
        let name = "3 pass-through, PING_PLAIN: validation on vs every check relaxed"
        do {
            let relaxed = try await startBroker(routingTo: server, relaxed: true)
            await brokerLatencyRows([(name, broker, ["plain"], nil)], direct: relaxed)
            await Child.stop([relaxed.child])
        } catch {
            markUnavailable([name], error)
        }
    }

    /// The two relays with no RPC parsing, in C (Benchmarks/C/bench_relay.c) and on SwiftNIO (NIOFloor.swift),
    /// each relaying to `direct`.
    func startRelays(to direct: Server) async throws -> (c: Server, nio: Server) {
        let port = direct.clientArguments[2]
        return (
            try await startListening([c.relay, port], name: "C relay"),
            try await startListening([settings.executable, "nio-floor", "relay", port], name: "bare NIO relay")
        )
    }

    /// Group 3: one 32-bit C client's round trip through the broker (or what a row puts in its place) next to
    /// the same client's straight to `direct`.
    private mutating func brokerLatencyRows(
        _ rowsToMeasure: [(label: String, broker: Server, mode: [String], target: Double?)], direct: Server
    ) async {
        let client = c.ilp32.client
        for (label, broker, mode, target) in rowsToMeasure {
            log("row: \(label)")
            do {
                let measured = try await latencies(
                    first: { [client] + broker.clientArguments }, second: { [client] + direct.clientArguments },
                    mode: mode)
                addLatencyRows(label, measured, target: target)
            } catch {
                rows.append(Row(label, unavailable: "\(error)"))
            }
        }
    }

    /// Group 4: calls/s of 1, 8 and 32 concurrent clients, and whether 32 collapse against 8; returns the
    /// broker's highest resident memory sampled meanwhile (KiB), at least `idleKiB`.
    private mutating func brokerRateRows(broker: Server, direct: Server, idleKiB: Int) async -> Int {
        let client = c.ilp32.client
        var peakKiB = idleKiB
        var brokerAt8: Double?
        for clients in [1, 8, 32] {
            let label = "4 calls/s, \(clients) concurrent 32-bit C clients, broker vs direct C"
            log("row: \(label)")
            do {
                var viaBroker: [Double] = []
                var viaDirect: [Double] = []
                _ = try await rate(clients: clients, client: client, server: broker, seconds: 0.3, sample: nil) { _ in }
                _ = try await rate(clients: clients, client: client, server: direct, seconds: 0.3, sample: nil) { _ in }
                for _ in 0..<max(3, settings.runs - 2) {
                    viaBroker.append(
                        try await rate(
                            clients: clients, client: client, server: broker, seconds: 1, sample: broker.child
                        ) { peakKiB = max(peakKiB, $0) })
                    viaDirect.append(
                        try await rate(clients: clients, client: client, server: direct, seconds: 1, sample: nil) { _ in
                        }
                    )
                }
                rows.append(
                    Row(
                        label, crossbit: viaBroker, c: viaDirect, unit: "calls/s", digits: 0,
                        target: clients == 1 ? nil : .atLeast(0.5)))
                if clients == 8 { brokerAt8 = median(viaBroker) }
                if clients == 32, let brokerAt8 { addCollapseRow(brokerRate: median(viaBroker), brokerAt8: brokerAt8) }
            } catch {
                rows.append(Row(label, unavailable: "\(error)"))
            }
        }
        return peakKiB
    }

    /// The broker's calls/s with 32 clients against its own with 8: more clients must not make it slower.
    private mutating func addCollapseRow(brokerRate: Double, brokerAt8: Double) {
        var collapse = Row(
            "4 broker calls/s, 32 clients vs 8 (no collapse)", crossbit: brokerRate, c: brokerAt8,
            unit: "calls/s", digits: 0, target: .atLeast(0.8))
        collapse.c = "\(format(brokerAt8, 0)) calls/s (broker, 8)"
        rows.append(collapse)
    }

    /// Group 5: 1 MiB echoed through the broker next to straight to the C server.
    private mutating func brokerPayloadRow(_ label: String, broker: Server, direct: Server) async {
        log("row: \(label)")
        let client = c.ilp32.client
        do {
            var viaBroker: [Double] = []
            var viaDirect: [Double] = []
            // Warm-up: the first large messages of a Swift process pay for
            // malloc's adaptive thresholds (fresh mmaps, page faults, trims).
            for server in [broker, direct] {
                try await runTool(client, server.clientArguments + ["payload", "32", "\(1 << 20)"])
            }
            for _ in 0..<settings.runs {
                for (server, into) in [(broker, 0), (direct, 1)] {
                    let figures = try numbers(
                        await runTool(client, server.clientArguments + ["payload", "16", "\(1 << 20)"]))
                    let rate = figures[0] / figures[1] * 1e3
                    if into == 0 { viaBroker.append(rate) } else { viaDirect.append(rate) }
                }
            }
            rows.append(Row(label, crossbit: viaBroker, c: viaDirect, unit: "MB/s", digits: 0, target: .atLeast(0.5)))
        } catch {
            rows.append(Row(label, unavailable: "\(error)"))
        }
    }

    /// A broker (ILP32 endpoint, TCP) routing the bench program to `server` (LP64, TCP or unix socket); with
    /// `relaxed`, the route relaxes every check of what it forwards (docs/security.md), from a TOML file.
    func startBroker(routingTo server: Server, relaxed: Bool = false) async throws -> Server {
        let crossbitd = settings.products + "/crossbitd"
        guard FileManager.default.isExecutableFile(atPath: crossbitd) else { throw BenchFailure("no \(crossbitd)") }
        let url =
            server.clientArguments[0] == "tcp"
            ? "tcp://127.0.0.1:\(server.clientArguments[2])" : "unix://\(server.clientArguments[1])"
        var route = ["--route", "CROSSBIT_BENCH:CROSSBIT_BENCH_V1=lp64@\(url)"]
        if relaxed {
            let file = "\(temporary)/relaxed-route.toml"
            // CROSSBIT_BENCH is program 0x2000BE4C of Benchmarks/IDL/crossbit_bench.x.
            try """
            [[route]]
            program = \(0x2000_BE4C)
            version = 1
            layout = "lp64"
            url = "\(url)"
            relax = ["enums", "unions", "bounds", "bools"]
            """.write(toFile: file, atomically: true, encoding: .utf8)
            route = ["--config", file]
        }
        let child = try await Child.start(
            crossbitd,
            [
                "--idl", settings.repository + "/Benchmarks/IDL/crossbit_bench.x",
                "--listen", "ilp32=tcp://127.0.0.1:0",
                "--log-level", "info",
            ] + route, name: "crossbitd")
        let ready = try await child.waitForLine(containing: "crossbitd ready", inStandardError: true)
        guard let port = ready.split(separator: ":").last?.split(separator: " ").first else {
            await child.stop()
            throw BenchFailure("cannot read the broker's port from '\(ready)'")
        }
        return Server(child: child, clientArguments: ["tcp", "127.0.0.1", String(port)])
    }

    // MARK: 2–3 again, on one CPU

    /// Diagnostic rows, without targets (those are measured with nothing
    /// pinned): the latency rows with every process of both sides on one CPU.
    /// Unpinned, a ping-pong's latency depends on where the scheduler puts
    /// each process: on this kind of virtual machine a wake-up on the other
    /// vCPU costs about 25 µs and one on the same vCPU a few. On one CPU both
    /// sides pay their whole CPU cost and nothing else. The floor row is a C
    /// relay with no RPC parsing in the broker's place: what any broker's
    /// extra hop costs here; the bare SwiftNIO relay (NIOFloor.swift) is the
    /// same for any broker on NIO. The CPU time rows split what a call costs
    /// the broker: NIO's share (its relay vs the C relay) and Crossbit's own
    /// (the broker vs NIO's relay).
    private mutating func oneCPURows() async {
        let names = [
            "3 32-bit C → broker → 64-bit Swift vs 32-bit C → C, one CPU, PING_WIDE",
            "3 the same, the broker reaching the server on a unix socket, one CPU, PING_WIDE",
            "3 floor: a C relay (no RPC parsing) vs 32-bit C → C, one CPU, PING_WIDE",
            "3 floor: a bare SwiftNIO relay (no RPC parsing) vs 32-bit C → C, one CPU, PING_WIDE",
            "3 CPU time per call (user + system), one CPU: the broker vs the bare SwiftNIO relay, PING_WIDE",
            "3 CPU time per call (user + system), one CPU: the bare SwiftNIO relay vs the C relay, PING_WIDE",
            "3 CPU time per call (user + system), one CPU: the broker, validation on vs every check relaxed, PING_PLAIN",
        ]
        guard let restore = pinToOneCPU() else {
            rows += names.map { Row($0, unavailable: "cannot pin to one CPU") }
            return
        }
        defer { restore() }
        await latencyRows(oneCPU: true)
        await Child.stopAll()
        do {
            let direct = try await startCServer(c.ilp32.server, "tcp", name: "")
            let relays = try await startRelays(to: direct)
            var viaBroker: [Server] = []
            var servers: [Server] = []
            for transport in ["tcp", "unix"] {
                let server = try await startSwiftServer(transport, name: "one-cpu-\(transport).sock")
                servers.append(server)
                viaBroker.append(try await startBroker(routingTo: server))
            }
            let client = c.ilp32.client
            // The CPU time per call of what each row goes through: the broker over TCP, over a unix socket, the C
            // relay, the NIO relay.
            var cpuPerCall: [[Double]] = []
            for (name, server) in zip(names, viaBroker + [relays.c, relays.nio]) {
                log("row: \(name)")
                let measured = try await latencies(
                    first: { [client] + server.clientArguments }, second: { [client] + direct.clientArguments },
                    mode: [], servers: (server.child, direct.child))
                addLatencyRows(name, measured, target: nil)
                cpuPerCall.append(measured.first.cpuPerCall)
            }
            let (brokerCPU, cRelayCPU, nioRelayCPU) = (cpuPerCall[0], cpuPerCall[2], cpuPerCall[3])
            rows.append(Row(names[4], crossbit: brokerCPU, c: nioRelayCPU, unit: "µs", digits: 1, target: nil))
            rows.append(Row(names[5], crossbit: nioRelayCPU, c: cRelayCPU, unit: "µs", digits: 1, target: nil))
            log("row: \(names[6])")
            let relaxed = try await startBroker(routingTo: servers[0], relaxed: true)
            let validation = try await latencies(
                first: { [client] + viaBroker[0].clientArguments }, second: { [client] + relaxed.clientArguments },
                mode: ["plain"], servers: (viaBroker[0].child, relaxed.child))
            rows.append(
                Row(
                    names[6], crossbit: validation.first.cpuPerCall, c: validation.second.cpuPerCall, unit: "µs",
                    digits: 1, target: nil))
        } catch {
            markUnavailable(names, error)
        }
    }

    /// Each side of group 2 alone, next to C↔C: the 64-bit C client against the Swift server (the server side),
    /// the Swift client against the C server (the client side), and the C client against a bare SwiftNIO server
    /// (NIOFloor.swift: record marks and a fixed answer, no Crossbit), the floor of any ONC RPC server on SwiftNIO
    /// as the C relay is the floor of any broker. On one CPU, with the CPU time each server process takes per call.
    private mutating func sideRows(oneCPU: Bool) async {
        let place = oneCPU ? ", one CPU" : ""
        let names = [
            "2 server side\(place): C client → Swift server vs C client → C server",
            "2 floor\(place): C client → a bare SwiftNIO server (no Crossbit) vs C client → C server",
            "2 client side\(place): Swift client → C server vs C client → C server",
        ]
        let cpuNames = [
            "2 server side\(place): CPU time per call (user + system), Swift server vs C server",
            "2 floor\(place): CPU time per call (user + system), bare SwiftNIO server vs C server",
        ]
        do {
            let cServer = try await startCServer(c.lp64.server, "tcp", name: "")
            let swiftServer = try await startSwiftServer("tcp", name: "")
            let floor = try await startListening(
                [settings.executable, "nio-floor", "server", "0"], name: "bare NIO server")
            let cClient = [c.lp64.client]
            let pairs = [
                (cClient, swiftServer), (cClient, floor), ([settings.executable, "client"], cServer),
            ]
            for (index, (client, server)) in pairs.enumerated() {
                log("row: \(names[index])")
                let measured = try await latencies(
                    first: { client + server.clientArguments }, second: { cClient + cServer.clientArguments },
                    mode: [], servers: oneCPU && index < cpuNames.count ? (server.child, cServer.child) : nil)
                addLatencyRows(names[index], measured, target: nil)
                guard oneCPU, index < cpuNames.count else { continue }
                rows.append(
                    Row(
                        cpuNames[index], crossbit: measured.first.cpuPerCall, c: measured.second.cpuPerCall,
                        unit: "µs", digits: 1, target: nil))
            }
            await Child.stop([cServer.child, swiftServer.child, floor.child])
        } catch {
            markUnavailable(names + (oneCPU ? cpuNames : []), error)
        }
    }

    /// Rows for those of `names` that a group could not measure before `error` stopped it.
    mutating func markUnavailable(_ names: [String], _ error: any Error) {
        rows += names.filter { name in !rows.contains { $0.name.hasPrefix(name) } }.map {
            Row($0, unavailable: "\(error)")
        }
    }

    /// Pins every process started from now on to the first CPU this one may
    /// run on; returns what unpins them.
    private func pinToOneCPU() -> (() -> Void)? {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let allowed = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        guard let allowed,
            let cpu = Int(
                allowed.dropFirst("Cpus_allowed_list:".count).prefix { $0 != "," && $0 != "-" }.trimmingCharacters(
                    in: .whitespaces)),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")
        else { return nil }
        childrenCPU.withLock { $0 = cpu }
        log("processes pinned to CPU \(cpu)")
        return { childrenCPU.withLock { $0 = nil } }
    }

    /// Calls per second of `clients` concurrent C clients counting over one
    /// common window of `seconds`; samples the broker's RSS meanwhile.
    private func rate(
        clients: Int, client: String, server: Server, seconds: Double, sample: Child?, resident: (Int) -> Void
    ) async throws -> Double {
        let start = monotonicNanoseconds() + 300_000_000 + clients * 25_000_000
        var running: [Child] = []
        for _ in 0..<clients {
            running.append(
                try await Child.start(
                    client, server.clientArguments + ["rate", "\(seconds)", "\(start)"], name: "C client"))
        }
        if let sample {
            while running.contains(where: \.isRunning) {
                if let kib = sample.residentKiB { resident(kib) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        var total = 0.0
        for child in running {
            let figures = try numbers(await child.finish(timeout: .seconds(30)))
            total += figures[0] / figures[1] * 1e9
        }
        return total
    }
}

/// Progress goes to standard error; the table to standard output.
func log(_ message: String) {
    FileHandle.standardError.write(Data("crossbit-bench: \(message)\n".utf8))
}
