@testable import CrossbitBroker
import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Glibc
import Testing

/// crossbitd under systemd's socket activation (docs/operations.md): the
/// sockets passed in LISTEN_FDS are served instead of bound.
@Suite("crossbitd with sockets passed by systemd", .serialized, .timeLimit(.minutes(2)))
struct SocketActivationTests {
    /// Debian's tool that passes sockets as systemd does (the systemd package).
    static let activate = ["/usr/bin/systemd-socket-activate", "/lib/systemd/systemd-socket-activate"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A configuration with one ilp32 TCP endpoint on `port`, the sample program routed to `server`.
    func configuration(port: UInt16, server: RPCAddress) -> String {
        """
        idl = "\(Paths.sampleIDL)"

        [[listen]]
        layout = "ilp32"
        url = "tcp://127.0.0.1:\(port)"

        [[route]]
        program = "CROSSBIT_SAMPLE"
        version = "CROSSBIT_SAMPLE_V1"
        layout = "lp64"
        url = "\(server)"
        """
    }

    @Test("a passed socket serves the entry bound to its address, or the layout it is named after; others are refused")
    func adoptsPassedSockets() throws {
        let (tcp, port) = try boundLoopbackSocket(SOCK_STREAM)
        defer { close(tcp) }
        let (udp, udpPort) = try boundLoopbackSocket(SOCK_DGRAM)
        defer { close(udp) }
        let listener = BrokerConfiguration.Listener(layout: .ilp32, url: .tcp(host: "localhost", port: port))
        var configuration = BrokerConfiguration(listeners: [listener])
        var passed = PassedSockets()
        passed.sockets = [
            .init(socket: try BoundSocket(descriptor: tcp), name: "crossbitd.socket"),
            .init(socket: try BoundSocket(descriptor: udp), name: "lp64"),
        ]
        try configuration.adopt(passed)
        #expect(configuration.listeners.map(\.passedSocket) == passed.sockets.map(\.socket))
        #expect(configuration.listeners.map(\.url) == [listener.url, .udp(host: "127.0.0.1", port: udpPort)])
        #expect(configuration.listeners.map(\.layout) == [.ilp32, .lp64])

        let unmatched =
            "socket activation: descriptor \(udp) (udp://127.0.0.1:\(udpPort)) matches no [[listen]] "
            + "entry or --listen flag, and "
        let fix = ": name it ilp32 or lp64 (FileDescriptorName=), or list its address"
        #expect(refusal([listener], passing: udp, named: nil) == unmatched + "it has no name (LISTEN_FDNAMES)" + fix)
        #expect(
            refusal([listener], passing: udp, named: "broker")
                == unmatched + "its name 'broker' is no layout" + fix)
        #expect(
            refusal([listener], passing: tcp, named: "lp64") == "socket activation: descriptor \(tcp) "
                + "(tcp://127.0.0.1:\(port)) is named lp64, but the endpoint ilp32=tcp://localhost:\(port) "
                + "it is bound to speaks ilp32")
    }

    /// The message adopting `descriptor` (named `name`) into a configuration of `listeners` fails with.
    func refusal(
        _ listeners: [BrokerConfiguration.Listener], passing descriptor: Int32, named name: String?
    ) -> String? {
        var configuration = BrokerConfiguration(listeners: listeners)
        var passed = PassedSockets()
        do {
            passed.sockets = [.init(socket: try BoundSocket(descriptor: descriptor), name: name)]
            try configuration.adopt(passed)
            return nil
        } catch let error as ConfigurationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("LISTEN_FDS counts only for the process LISTEN_PID names")
    func readsListenVariables() throws {
        #expect(try PassedSockets.descriptorCount(pid: "\(getpid())", count: "2") == 2)
        #expect(try PassedSockets.descriptorCount(pid: "\(getpid() + 1)", count: "2") == 0)
        #expect(try PassedSockets.descriptorCount(pid: nil, count: "2") == 0)
        #expect(try PassedSockets.descriptorCount(pid: "\(getpid())", count: nil) == 0)
        #expect(throws: ConfigurationError("LISTEN_FDS 'two' is not a number of descriptors")) {
            try PassedSockets.descriptorCount(pid: "\(getpid())", count: "two")
        }
        #expect(throws: ConfigurationError("LISTEN_PID 'me' is not a process id")) {
            try PassedSockets.descriptorCount(pid: "me", count: "1")
        }
    }

    @Test("under systemd-socket-activate: serves on the passed sockets, binds none, READY=1 once calls succeed")
    func servesPassedSockets() async throws {
        let activate = try #require(Self.activate, "no systemd-socket-activate: scripts/install-deps.sh installs it")
        let directory = try Paths.temporaryDirectory("activate").path
        let port = try freeLoopbackPort(), unixPath = directory + "/lp64.sock", file = directory + "/crossbitd.toml"
        let notify = try NotifySocket(abstract: false)
        let sample = SampleService.dispatcher()
        try await withSwiftServer([sample]) { server in
            try configuration(port: port, server: server).write(toFile: file, atomically: true, encoding: .utf8)
            // Stream sockets, passed when the first connection arrives: the TCP one is the TOML entry's, the
            // unix one no entry lists, and its name gives its layout.
            let process = ChildProcess(
                activate,
                [
                    "-l", "127.0.0.1:\(port)", "-l", unixPath, "--fdname=broker:lp64",
                    "-E", "NOTIFY_SOCKET=\(notify.name)", Paths.crossbitd, "--config", file, "--log-level", "debug",
                ])
            try await process.start()
            defer { process.stopNow() }
            _ = try await process.line(containing: "as 4")  // "Listening on PATH as 4."
            #expect(await notify.receive(timeout: .milliseconds(300)) == nil, "crossbitd started before a client")
            let address = RPCAddress.tcp(host: "127.0.0.1", port: port)
            let tcp = SampleClient(transport: try RPCClient(address: address, layout: .ilp32))
            async let first = tcp.greet("first")  // its connection starts crossbitd, and waits in the backlog
            #expect(await notify.receive() == "READY=1", "\(process.output)")
            let unix = SampleClient(transport: try RPCClient(address: .unix(path: unixPath), layout: .lp64))
            #expect(try await unix.greet("unix") == "Hello, unix")
            #expect(try await first == "Hello, first")
            let passed = try [3, 4].map { try socketInode(of: process.pid, descriptor: $0) }
            #expect(try listeningSockets(of: process.pid) == Set(passed), "\(process.output)")
            #expect(process.output.contains("serves on descriptor 3 (tcp://127.0.0.1:\(port)), passed by systemd"))
            #expect(process.output.contains("serves on descriptor 4 (unix://\(unixPath)), passed by systemd"))
            #expect(await process.stop() == 0, "\(process.output)")
            #expect(FileManager.default.fileExists(atPath: unixPath), "crossbitd removed the socket systemd made")
        }
    }

    @Test("a passed socket that no entry lists and no name gives a layout stops the start, naming it")
    func refusesUnknownSocket() async throws {
        let activate = try #require(Self.activate, "no systemd-socket-activate: scripts/install-deps.sh installs it")
        let directory = try Paths.temporaryDirectory("activate-unknown").path
        let (port, other) = (try freeLoopbackPort(), try freeLoopbackPort())
        let file = directory + "/crossbitd.toml"
        let server = RPCAddress.tcp(host: "127.0.0.1", port: 7100)
        try configuration(port: port, server: server).write(toFile: file, atomically: true, encoding: .utf8)
        let process = ChildProcess(activate, ["-l", "127.0.0.1:\(other)", Paths.crossbitd, "--config", file])
        try await process.start()
        defer { process.stopNow() }
        _ = try await process.line(containing: "as 3")
        let trigger = try RPCClient(address: .tcp(host: "127.0.0.1", port: other), layout: .ilp32)
        _ = try? await SampleClient(transport: trigger).greet("start")
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await process.exitStatus() == 2)
        #expect(
            process.output.contains(
                "crossbitd: error: socket activation: descriptor 3 (tcp://127.0.0.1:\(other)) "
                    + "matches no [[listen]] entry or --listen flag, and it has no name (LISTEN_FDNAMES)"),
            "\(process.output)")
    }

    /// The inode of the socket `descriptor` of process `pid` is.
    func socketInode(of pid: Int32, descriptor: Int32) throws -> String {
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)")
        guard target.hasPrefix("socket:[") else { throw ProcessFailure(description: "fd \(descriptor) is \(target)") }
        return String(target.dropFirst("socket:[".count).dropLast())
    }

    /// The inodes of the sockets process `pid` has open that listen: TCP
    /// in LISTEN, every bound UDP socket, unix sockets accepting connections.
    func listeningSockets(of pid: Int32) throws -> Set<String> {
        var listening = Set<String>()
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let text = try String(contentsOfFile: "/proc/net/\(table)", encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 9, table.hasPrefix("udp") || fields[3] == "0A" { listening.insert(String(fields[9])) }
            }
        }
        let unix = try String(contentsOfFile: "/proc/net/unix", encoding: .utf8)
        for line in unix.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > 6, fields[3] == "00010000" { listening.insert(String(fields[6])) }
        }
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let inodes = descriptors.compactMap { Int32($0) }.compactMap { try? socketInode(of: pid, descriptor: $0) }
        return Set(inodes).intersection(listening)
    }
}
