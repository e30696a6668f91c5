import Foundation
import Glibc

// 7. One client's round trip while 10,000 idle connections are open on the
// endpoint it calls: a server that polls every descriptor on each wake-up
// slows down with every connection; one on epoll does not.

extension Benchmark {
    /// Idle connections opened per measurement.
    static let idleConnections = 10_000
    /// Loopback source addresses the idle connections come from (127.0.0.2 on),
    /// so that none reaches a server's default limit of 1,024 connections per peer.
    static let idleSources = 10

    mutating func idleRows() async {
        let names = [
            "7 round trip, 10,000 idle connections vs none, 32-bit C → broker → Swift",
            "7 round trip, 10,000 idle connections vs none, C client → Swift server",
            "7 round trip, 10,000 idle connections vs none, C client → rpcgen C server "
                + "(reference, columns: idle, none)",
        ]
        if let failure = raiseDescriptorLimit(to: Self.idleConnections + 4096) {
            log(failure)
            rows += names.map { Row($0, unavailable: failure) }
            return
        }
        do {
            let swiftServer = try await startSwiftServer("tcp", name: "")
            let broker = try await startBroker(routingTo: swiftServer)
            let cServer = try await startCServer(c.lp64.server, "tcp", name: "")
            let targets = [(broker, c.ilp32.client), (swiftServer, c.lp64.client), (cServer, c.lp64.client)]
            for ((server, client), (index, name)) in zip(targets, names.enumerated()) {
                log("row: \(name)")
                // rpcgen's svc_run polls every descriptor for each connection it accepts or closes: opening and
                // closing 10,000 takes it minutes, so its reference row opens them once.
                let (idle, none) = try await idleLatencies(
                    server: server, client: client, pairs: index < 2 ? 2 * settings.runs : 1)
                rows.append(
                    Row(name, crossbit: idle, c: none, unit: "µs", digits: 1, target: index < 2 ? .atMost(1.1) : nil))
            }
        } catch {
            markUnavailable(names, error)
        }
    }

    /// Median round trips of `client` calling `server` in `pairs` pairs of
    /// runs (2 × runs in all on each side), with the idle connections open and
    /// with none, side by side in time (and in turn first), so that a machine
    /// whose speed drifts moves both halves of a pair alike: measured all
    /// "none" first and all "idle" after, the row swung from 0.83x to 1.59x
    /// between runs. Each run's median, in µs.
    private func idleLatencies(
        server: Server, client: String, pairs: Int
    ) async throws -> (idle: [Double], none: [Double]) {
        guard server.clientArguments[0] == "tcp", let port = UInt16(server.clientArguments[2]) else {
            throw BenchFailure("idle connections need a TCP server")
        }
        let runsPerPair = max(1, 2 * settings.runs / pairs)
        func latencies() async throws -> [Double] {
            var medians: [Double] = []
            for _ in 0..<runsPerPair {
                medians.append(
                    try numbers(await runTool(client, server.clientArguments + ["latency", "1500"]))[0] / 1e3)
            }
            return medians
        }
        func latenciesWithIdleConnections() async throws -> [Double] {
            let sockets = try openIdleConnections(to: port)
            try await Task.sleep(for: .seconds(1))  // every connection accepted
            let measured: Result<[Double], any Error>
            do { measured = .success(try await latencies()) } catch { measured = .failure(error) }
            try resetConnections(sockets)
            try await Task.sleep(for: .seconds(1))  // every connection closed by the server
            return try measured.get()
        }
        _ = try await latencies()  // warm-up
        var idle: [Double] = []
        var none: [Double] = []
        for pair in 0..<pairs {
            if pair.isMultiple(of: 2) {
                none += try await latencies()
                idle += try await latenciesWithIdleConnections()
            } else {
                idle += try await latenciesWithIdleConnections()
                none += try await latencies()
            }
        }
        return (idle, none)
    }

    /// Closes the idle connections with a reset (SO_LINGER 0), so that none
    /// lingers in TIME_WAIT and the next pair's connections find free ports.
    private func resetConnections(_ sockets: [Int32]) throws {
        var reset = linger(l_onoff: 1, l_linger: 0)
        var failure: String?
        for fd in sockets {
            if setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size)) != 0 {
                failure = failure ?? "setsockopt(SO_LINGER): \(String(cString: strerror(errno)))"
            }
            close(fd)
        }
        if let failure { throw BenchFailure(failure) }
    }

    /// Opens the idle connections to 127.0.0.1:`port`, from 127.0.0.2 on.
    private func openIdleConnections(to port: UInt16) throws -> [Int32] {
        var sockets: [Int32] = []
        for index in 0..<Self.idleConnections {
            let source = UInt32(0x7F00_0002 + index % Self.idleSources)
            do { sockets.append(try connectedSocket(to: port, from: source)) } catch {
                sockets.forEach { close($0) }
                throw error
            }
        }
        return sockets
    }

    private func connectedSocket(to port: UInt16, from source: UInt32) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket(): \(String(cString: strerror(errno)))") }
        func call(_ host: UInt32, _ port: UInt16, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32
        {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = host.bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard call(source, 0, bind) == 0, call(0x7F00_0001, port, connect) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw BenchFailure("cannot open an idle connection to 127.0.0.1:\(port): \(why)")
        }
        return fd
    }

    /// Raises this process's descriptor limit (its children inherit it) to
    /// `count`; what went wrong, or nil.
    private func raiseDescriptorLimit(to count: Int) -> String? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return "cannot read RLIMIT_NOFILE: \(String(cString: strerror(errno)))"
        }
        guard limit.rlim_cur < rlim_t(count) else { return nil }
        guard limit.rlim_max >= rlim_t(count) else {
            return "cannot raise RLIMIT_NOFILE to \(count): the hard limit is \(limit.rlim_max) "
                + "(raise it, e.g. ulimit -Hn)"
        }
        limit.rlim_cur = rlim_t(count)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return "cannot raise RLIMIT_NOFILE to \(count): \(String(cString: strerror(errno)))"
        }
        log("RLIMIT_NOFILE raised to \(count) for the idle connections")
        return nil
    }
}
