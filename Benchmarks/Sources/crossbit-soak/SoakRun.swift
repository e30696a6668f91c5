import Foundation

/// One run of the soak: crossbitd between 32-bit C clients and 64-bit Swift
/// servers and between 64-bit Swift clients and 32-bit C servers, half of
/// the servers started by the broker on demand; faults injected in rotation
/// while every answer is checked; the broker's descriptors and memory watched.
struct Soak {
    let settings: SoakSettings
    let temporary: String
    /// This executable: the 64-bit server and client.
    let soakExecutable: String
    let peers: SoakCPeers
    /// Broker endpoints: ILP32 (registered with rpcbind, where the C clients find it) and LP64.
    let ilp32Port: Int
    let lp64Port: Int
    /// Servers the soak runs itself.
    let swiftServer: RestartedServer
    let cServer: RestartedServer
    let broker: Child

    /// What a run measured.
    struct Report {
        var seconds = 0
        var faults: [String] = []
        var warmUp = ClientTally()
        var tally = ClientTally()
        var problems: [String] = []
        var descriptors: (start: Int, minute: Int, end: Int) = (0, 0, 0)
        var descriptorKinds: (start: [String: Int], end: [String: Int]) = ([:], [:])
        var residentKiB: (start: Int, minute: Int, end: Int) = (0, 0, 0)
    }

    init(settings: SoakSettings, temporary: String) async throws {
        self.settings = settings
        self.temporary = temporary
        soakExecutable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        peers = try await SoakCPeers.build(
            repository: settings.repository, crossbitIDL: settings.products + "/crossbit-idl", into: temporary)
        let ports = try freePorts(6)
        ilp32Port = ports[0]
        lp64Port = ports[1]
        swiftServer = try await RestartedServer(
            name: "64-bit Swift server", executable: soakExecutable,
            arguments: ["serve", "tcp://127.0.0.1:\(ports[2])"])
        cServer = try await RestartedServer(
            name: "32-bit C server", executable: peers.server, arguments: ["tcp://127.0.0.1:\(ports[3])"])
        let configuration = temporary + "/crossbitd.toml"
        try Self.configuration(
            repository: settings.repository, ports: ports, soakExecutable: soakExecutable, cServer: peers.server
        ).write(toFile: configuration, atomically: true, encoding: .utf8)
        broker = try await Child.start(
            settings.products + "/crossbitd", ["--config", configuration], name: "crossbitd")
        _ = try await broker.waitForLine(containing: "crossbitd ready", inStandardError: true)
    }

    /// The broker's TOML: the four programs, two of them activated (the 64-bit
    /// server is this executable, the 32-bit one soak_server; layouts from their ELF headers).
    private static func configuration(
        repository: String, ports: [Int], soakExecutable: String, cServer: String
    ) -> String {
        func route(
            _ program: String, _ port: Int, layout: String? = nil, exec: String? = nil, arguments: [String] = []
        ) -> String {
            var lines = ["[[route]]", "program = \"\(program)\"", "version = 1", "url = \"tcp://127.0.0.1:\(port)\""]
            if let layout { lines.append("layout = \"\(layout)\"") }
            if let exec {
                lines.append("exec = \"\(exec)\"")
                lines.append("arguments = [\(arguments.map { "\"\($0)\"" }.joined(separator: ", "))]")
            }
            return lines.joined(separator: "\n")
        }
        return """
            idl = "\(repository)/Benchmarks/IDL/crossbit_soak.x"
            rpcbind = "ilp32"
            call-timeout = 10.0
            log-level = "info"

            [[listen]]
            layout = "ilp32"
            url = "tcp://127.0.0.1:\(ports[0])"

            [[listen]]
            layout = "lp64"
            url = "tcp://127.0.0.1:\(ports[1])"

            \(route("SOAK_TO64", ports[2], layout: "lp64"))

            \(route("SOAK_TO32", ports[3], layout: "ilp32"))

            \(route("SOAK_ACT64", ports[4], exec: soakExecutable, arguments: ["serve"]))

            \(route("SOAK_ACT32", ports[5], exec: cServer))

            """
    }

    /// Starts every client for `seconds`: C ones to SOAK_TO64 and SOAK_ACT64 through
    /// rpcbind and the ILP32 endpoint, Swift ones to SOAK_TO32 and SOAK_ACT32 at the LP64 endpoint.
    private func startClients(seconds: Int, firstID: Int) async throws -> [Child] {
        let count = settings.clientsPerLanguage
        let pause = "\(settings.pauseMilliseconds)"
        var clients: [Child] = []
        for i in 0..<count {
            let program = i % 2 == 0 ? "to64" : "act64"
            clients.append(
                try await Child.start(
                    peers.client, ["127.0.0.1", program, "\(firstID + i)", "\(seconds)", pause],
                    name: "C client \(firstID + i) (\(program))"))
        }
        for i in 0..<count {
            let program = i % 2 == 0 ? "to32" : "act32"
            let id = firstID + count + i
            clients.append(
                try await Child.start(
                    soakExecutable, ["client", "tcp://127.0.0.1:\(lp64Port)", program, "\(id)", "\(seconds)", pause],
                    name: "Swift client \(id) (\(program))"))
        }
        return clients
    }

    /// Waits for the clients (until `deadline`) and adds up their lines; a client
    /// that hangs, dies or prints no line counts as an unanswered call.
    private func collect(_ clients: [Child], until deadline: Date, into report: inout Report) async -> ClientTally {
        var sum = ClientTally()
        for client in clients {
            do {
                let output = try await client.finish(timeout: .seconds(max(1, deadline.timeIntervalSinceNow)))
                guard let tally = ClientTally(parsing: output) else {
                    throw BenchFailure("no SOAK line it could read: \(output)")
                }
                sum = sum + tally
            } catch {
                sum.unanswered += 1
                report.problems.append("\(client.name): \(error)")
            }
            if !client.stderr.isEmpty { report.problems.append("\(client.name): \(client.stderr.prefix(800))") }
        }
        return sum
    }

    /// Fault `index` of the rotation: the soak's server killed, that server
    /// stopped and continued, an activated server killed; the 64-bit servers in
    /// one round, the 32-bit ones in the next.
    private func inject(_ index: Int) async throws -> String {
        let wide = (index / 3) % 2 == 0
        switch index % 3 {
        case 0: return try await (wide ? swiftServer : cServer).killAndRestart()
        case 1: return try await (wide ? swiftServer : cServer).pause(for: 3)
        default:
            let executable = wide ? soakExecutable : peers.server
            let name = wide ? "64-bit activated server" : "32-bit activated server"
            guard let pid = ProcFS.child(of: broker.pid, executable: executable) else {
                return "no \(name) was running to kill"
            }
            kill(pid, SIGKILL)
            return "SIGKILL to the \(name) (pid \(pid)); the broker starts it again on the next call"
        }
    }

    /// Runs the soak and returns what it measured.
    func run() async throws -> Report {
        var report = Report()
        report.seconds = settings.seconds
        // A short warm-up through every route starts the activated servers and opens the broker's
        // connections to its servers, so that the start figures are those of a broker in service.
        soakLog("warm-up: \(2 * settings.clientsPerLanguage) clients for 5 s")
        let warmUp = try await startClients(seconds: 5, firstID: 1000)
        report.warmUp = await collect(warmUp, until: Date().addingTimeInterval(65), into: &report)
        report.descriptors.start = ProcFS.settledDescriptors(of: broker.pid)
        report.descriptorKinds.start = ProcFS.descriptorKinds(of: broker.pid)
        report.residentKiB.start = broker.residentKiB ?? -1
        soakLog(
            "start: broker pid \(broker.pid), \(report.descriptors.start) descriptors, \(report.residentKiB.start) KiB")

        let start = Date()
        let clients = try await startClients(seconds: settings.seconds, firstID: 1)
        var nextFault = settings.faultInterval
        var measuredMinute = false
        var faults = 0
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if !measuredMinute && elapsed >= Double(min(60, settings.seconds)) {
                report.residentKiB.minute = broker.residentKiB ?? -1
                report.descriptors.minute = ProcFS.descriptors(of: broker.pid)
                soakLog("first minute: \(report.descriptors.minute) descriptors, \(report.residentKiB.minute) KiB")
                measuredMinute = true
            }
            if elapsed >= Double(settings.seconds) { break }
            if elapsed >= Double(nextFault) {
                let fault = try await inject(faults)
                soakLog(fault)
                report.faults.append(fault)
                faults += 1
                nextFault += settings.faultInterval
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        report.tally = await collect(clients, until: Date().addingTimeInterval(60), into: &report)
        report.descriptors.end = ProcFS.settledDescriptors(of: broker.pid)
        report.descriptorKinds.end = ProcFS.descriptorKinds(of: broker.pid)
        report.residentKiB.end = broker.residentKiB ?? -1
        return report
    }
}

/// `count` distinct TCP ports free on 127.0.0.1 now (bound to port 0, then closed).
func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { sockets.forEach { close($0) } }
    return try (0..<count).map { _ in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket: \(String(cString: strerror(errno)))") }
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw BenchFailure("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
