@testable import CrossbitBroker
import CrossbitBrokerControl
import CrossbitCore
import CrossbitELF
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A broker running in this process with one activated route to the
/// 32-bit legacy server, and an LP64 client of it.
private struct ActivatingBroker {
    let broker: Broker
    let client: RPCClient

    func call(_ procedure: LegacyServer.Procedure, _ arguments: [UInt8] = []) async throws(RPCError) -> [UInt8] {
        try await client.call(
            ProcedureID(program: LegacyServer.program, version: LegacyServer.version, procedure: procedure.rawValue),
            arguments: arguments, options: .defaults)
    }

    /// The state of the route's server and the running count, as the control program lists them.
    func listedState() async throws -> (BrokerControl.BrokerServerState?, UInt32) {
        let control = BrokerControl.CrossbitBrokerV1Client(transport: client)
        return (try await control.list().routes.first?.state, try await control.stats().serversRunning)
    }

    /// The pid of the running server, asked from the server itself.
    func serverPID() async throws -> Int32 {
        Int32(bitPattern: try decodeUInt32(try await call(.pid)))
    }
}

private func encodeUInt64(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}
private func decodeUInt64(_ bytes: [UInt8]) throws -> UInt64 {
    guard bytes.count == 8 else { throw ProcessFailure(description: "expected 8 bytes, got \(bytes)") }
    return bytes.reduce(0) { $0 << 8 | UInt64($1) }
}
private func decodeUInt32(_ bytes: [UInt8]) throws -> UInt32 {
    guard bytes.count == 4 else { throw ProcessFailure(description: "expected 4 bytes, got \(bytes)") }
    return bytes.reduce(0) { $0 << 8 | UInt32($1) }
}

/// Whether `pid` runs: it exists and is not a zombie (dead, waiting to be
/// reaped, as an orphan may wait for an init that does not reap).
private func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // The state follows the command name, which is in parentheses.
    return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
}

/// Waits until `pid` is gone; false after 5 s.
private func waitUntilGone(_ pid: Int32) async throws -> Bool {
    for _ in 0..<250 where isRunning(pid) { try await Task.sleep(for: .milliseconds(20)) }
    return !isRunning(pid)
}

private func routeTOML(idl: String, executable: String, extra: String = "") -> String {
    """
    idl = "\(idl)"
    [[listen]]
    layout = "lp64"
    url = "tcp://127.0.0.1:0"
    [[route]]
    program = "ACTTEST"
    version = "ACTTEST_V1"
    url = "rpcbind://127.0.0.1"
    exec = "\(executable)"
    \(extra)
    """
}

/// Runs `body` with a broker started from `toml`; shuts it down afterwards.
private func withBroker<T>(_ toml: String, _ body: (ActivatingBroker) async throws -> T) async throws -> T {
    var logger = Logger(label: "crossbitd-test")
    logger.logLevel = .critical
    let broker = try Broker(configuration: try BrokerConfiguration(toml: toml, file: "test.toml"), logger: logger)
    let group = ServiceGroup(services: [broker], logger: logger)
    let running = Task { try await group.run() }
    let client: RPCClient
    do {
        guard case .tcp(_, let port) = try await broker.listeningEndpoints.first?.transport else {
            throw ProcessFailure(description: "the broker has no TCP endpoint")
        }
        client = try RPCClient(address: .tcp(host: "127.0.0.1", port: port), layout: .lp64)
    } catch {
        await group.triggerGracefulShutdown()
        try await running.value
        throw error
    }
    let result: Result<T, any Error>
    do {
        result = .success(try await body(ActivatingBroker(broker: broker, client: client)))
    } catch {
        result = .failure(error)
    }
    client.close()
    await group.triggerGracefulShutdown()
    try await running.value
    return try result.get()
}

@Suite("Activation", .serialized, .timeLimit(.minutes(2)))
struct ActivationTests {
    @Test("the first call starts the 32-bit server, its layout read from its ELF header; values are converted")
    func firstCallStartsTheServer() async throws {
        let (idl, server) = try await LegacyServer.build()
        let configuration = try BrokerConfiguration(toml: routeTOML(idl: idl, executable: server), file: "test.toml")
        #expect(configuration.routes.first?.layout == .ilp32)
        let pid = try await withBroker(routeTOML(idl: idl, executable: server)) { broker in
            #expect(try await broker.listedState() == (.stopped, 0))
            let echoed = try await broker.call(.echoSize, encodeUInt64(4_294_967_295))
            #expect(try decodeUInt64(echoed) == 4_294_967_295)
            await #expect(throws: RPCError.self) { try await broker.call(.echoSize, encodeUInt64(4_294_967_296)) }
            #expect(try await broker.listedState() == (.running, 1))
            return try await broker.serverPID()
        }
        #expect(try await waitUntilGone(pid), "the broker's shutdown stops the server it started")
    }

    @Test("a server killed mid-session is started again by the next call")
    func restartAfterCrash() async throws {
        let (idl, server) = try await LegacyServer.build()
        try await withBroker(routeTOML(idl: idl, executable: server)) { broker in
            let first = try await broker.serverPID()
            kill(first, SIGKILL)
            #expect(try await waitUntilGone(first))
            let second = try await broker.serverPID()
            #expect(second != first)
            #expect(try decodeUInt64(try await broker.call(.echoSize, encodeUInt64(7))) == 7)
            // A second crash in a row: started again after a back-off.
            kill(second, SIGKILL)
            #expect(try await waitUntilGone(second))
            let third = try await broker.serverPID()
            #expect(third != second)
        }
    }

    @Test("crossbitd killed outright (SIGKILL) leaves no server it started running")
    func brokerKilled() async throws {
        let (idl, server) = try await LegacyServer.build()
        let daemon = try await Daemon.start([
            "--idl", idl, "--listen", "lp64=tcp://127.0.0.1:0", "--route", "ACTTEST:ACTTEST_V1=@rpcbind://127.0.0.1",
            "--exec", "ACTTEST:ACTTEST_V1=\(server)",
        ])
        let broker = daemon.process
        defer { broker.stopNow() }
        let client = try RPCClient(address: daemon.address(.lp64), layout: .lp64)
        defer { client.close() }
        let pid = Int32(
            bitPattern: try decodeUInt32(
                try await client.call(
                    ProcedureID(
                        program: LegacyServer.program, version: LegacyServer.version,
                        procedure: LegacyServer.Procedure.pid.rawValue),
                    arguments: [], options: .defaults)))
        defer { kill(pid, SIGKILL) }  // should the test fail
        #expect(isRunning(pid))
        broker.stopNow()
        #expect(try await waitUntilGone(pid), "the server started by the killed broker still runs")
    }

    @Test("an idle server is stopped and started again on demand")
    func idleStop() async throws {
        let (idl, server) = try await LegacyServer.build()
        try await withBroker(routeTOML(idl: idl, executable: server, extra: "idle-timeout = 0.3")) { broker in
            let first = try await broker.serverPID()
            #expect(try await waitUntilGone(first), "stopped after 0.3 s without calls")
            let second = try await broker.serverPID()
            #expect(second != first)
        }
    }

    @Test("a server that never answers, or exits at once, fails the call with SYSTEM_ERR and is not left running")
    func notReady() async throws {
        let (idl, _) = try await LegacyServer.build()
        for (executable, arguments) in [("/bin/sleep", "[\"30\"]"), ("/bin/false", "[]")] {
            let toml = routeTOML(
                idl: idl, executable: executable,
                extra: "arguments = \(arguments)\nready-timeout = 0.5\nlayout = \"ilp32\"")
            try await withBroker(toml) { broker in
                let error = await #expect(throws: RPCError.self) { try await broker.call(.echoSize, encodeUInt64(1)) }
                #expect(error?.code == .systemError)
            }
        }
        let sleepers = try await runTool("/usr/bin/pgrep", ["-f", "^/bin/sleep 30$"], expectSuccess: false)
        #expect(sleepers.output.isEmpty, "no /bin/sleep left: \(sleepers.output)")
    }

    @Test("a server that crashes at every start: calls fail with SYSTEM_ERR, restarts back off instead of storming")
    func crashLoop() async throws {
        let (idl, _) = try await LegacyServer.build()
        let directory = try Paths.temporaryDirectory("crash-loop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let starts = directory.appending(path: "starts").path
        let script = "echo start >> \(starts); exit 3"
        let toml = routeTOML(
            idl: idl, executable: "/bin/sh",
            extra: "arguments = [\"-c\", \"\(script)\"]\nready-timeout = 2.0\nlayout = \"ilp32\"")
        var calls = 0
        try await withBroker(toml) { broker in
            let end = ContinuousClock.now + .seconds(4)
            while ContinuousClock.now < end {
                let error = await #expect(throws: RPCError.self) { try await broker.call(.echoSize, encodeUInt64(1)) }
                #expect(error?.code == .systemError, "\(String(describing: error))")
                calls += 1
            }
        }
        let started = (try String(contentsOfFile: starts, encoding: .utf8)).split(separator: "\n").count
        // Back-off of 0.1 s doubling: at most 6 starts fit 4 s, however many calls came.
        #expect(started >= 3 && started <= 7, "\(started) starts for \(calls) calls")
        #expect(calls >= started)
    }

    @Test("a crash after a stable run is a first crash again: the back-off does not keep the longest delay")
    func crashAfterStableRun() {
        var crashes = 0
        for _ in 0..<10 { crashes = ActivatedServer.crashesInARow(after: crashes, lived: .milliseconds(50)) }
        #expect(crashes == 10)
        #expect(ActivatedServer.backOff(afterCrashes: crashes) == .seconds(5))
        crashes = ActivatedServer.crashesInARow(after: crashes, lived: ActivatedServer.stableRun)
        #expect(crashes == 1)
        #expect(ActivatedServer.backOff(afterCrashes: crashes) == .milliseconds(100))
        #expect(ActivatedServer.crashesInARow(after: crashes, lived: .seconds(1)) == 2)
    }
}

@Suite("ELF header")
struct ELFHeaderTests {
    @Test("a 32-bit and a 64-bit executable")
    func classes() async throws {
        let (_, server) = try await LegacyServer.build()
        let header32 = try ELFHeader(contentsOf: server)
        #expect(header32.elfClass == .elf32)
        #expect(header32.machineName == "i386")
        #expect(header32.layout == .ilp32)
        #expect(header32.description == "ELF 32-bit i386 (ilp32)")
        let header64 = try ELFHeader(contentsOf: try Paths.product("crossbit-idl"))
        #expect(header64.elfClass == .elf64)
        #expect(header64.layout == .lp64)
    }

    static let notExecutables: [([UInt8], String)] = {
        let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
        let zeros = [UInt8](repeating: 0, count: 10)
        return [
            (Array("#!/bin/sh\necho hi\n".utf8), "not an ELF file"),
            ([], "not an ELF file"),
            (magic + [1, 1], "truncated ELF header"),
            (magic + [3, 1] + zeros + [2, 0, 3, 0], "unknown ELF class 3"),
            (magic + [1, 1] + zeros + [1, 0, 3, 0], "ELF type 1 is not an executable"),
        ]
    }()

    @Test("files that are not ELF executables are refused, naming the file and why", arguments: notExecutables)
    func refused(bytes: [UInt8], reason: String) throws {
        let error = #expect(throws: ELFError.self) { try ELFHeader(bytes: bytes, path: "/x/file") }
        #expect(error?.description.hasPrefix("/x/file: \(reason)") == true, "\(String(describing: error))")
    }

    @Test("a route whose executable is not ELF, or missing, is a configuration error")
    func configurationErrors() async throws {
        let (idl, _) = try await LegacyServer.build()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("crossbit-not-elf-\(getpid()).sh")
            .path
        try "#!/bin/sh\n".write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        for (executable, reason) in [(script, "not an ELF file"), ("/nonexistent/server", "does not exist")] {
            let error = #expect(throws: ConfigurationError.self) {
                try BrokerConfiguration(toml: routeTOML(idl: idl, executable: executable), file: "test.toml")
            }
            #expect(
                error?.message.hasPrefix("cannot activate \(executable): \(reason)") == true,
                "\(String(describing: error))")
        }
    }
}

@Suite("Activation launch command")
struct LaunchCommandTests {
    @Test(
        "a server starts through setpriv with a parent-death signal; a bare file name stays in the broker's directory")
    func throughSetpriv() {
        let launcher = "/usr/bin/setpriv"
        #expect(
            SupervisedProcess.command("server", ["-v"], launcher: launcher) == (
                launcher, ["--pdeathsig", "TERM", "--", "./server", "-v"]
            ))
        #expect(
            SupervisedProcess.command("bin/server", [], launcher: launcher) == (
                launcher, ["--pdeathsig", "TERM", "--", "bin/server"]
            ))
        #expect(SupervisedProcess.command("/opt/server", ["a"], launcher: nil) == ("/opt/server", ["a"]))
        #expect(SupervisedProcess.command("server", [], launcher: nil) == ("./server", []))
        #expect(
            SupervisedProcess.deathSignalLauncher != nil,
            "util-linux's setpriv is installed (util-linux is Essential on Debian)")
    }
}

@Suite("Activation flags")
struct ActivationFlagTests {
    @Test("--exec starts the server of a --route; its layout may come from the ELF header")
    func execFlag() async throws {
        let (idl, server) = try await LegacyServer.build()
        let configuration = try BrokerConfiguration(
            file: nil, idl: [idl], listen: ["lp64=tcp://127.0.0.1:0"],
            route: ["ACTTEST:ACTTEST_V1=@rpcbind://127.0.0.1"],
            rpcbind: nil, logLevel: nil, exec: ["ACTTEST:ACTTEST_V1=\(server) -v extra"])
        let route = try #require(configuration.routes.first)
        #expect(route.layout == .ilp32)
        #expect(route.activation == BrokerConfiguration.Activation(executable: server, arguments: ["-v", "extra"]))
    }

    @Test(
        "flag mistakes name the flag",
        arguments: [
            (
                ["A:1=lp64@tcp://127.0.0.1:9"], ["B:1=/bin/true"],
                "--exec B:1=…: no --route B:1=LAYOUT@URL to start it for"
            ),
            (
                ["A:1=@tcp://127.0.0.1:9"], [],
                "--route 'A:1=@tcp://127.0.0.1:9': unknown layout '': expected ilp32 or lp64"
            ),
            (["A:1=@tcp://127.0.0.1:9"], ["A:1="], "--exec 'A:1=': expected PROG:VERS=EXECUTABLE [ARGUMENT...]"),
            (["A:1=@tcp://127.0.0.1:9"], ["A:1=/bin/true", "A:1=/bin/false"], "--exec A:1 is given twice"),
        ])
    func mistakes(routes: [String], exec: [String], message: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try BrokerConfiguration(
                file: nil, idl: [], listen: ["lp64=tcp://127.0.0.1:0"], route: routes, rpcbind: nil, logLevel: nil,
                exec: exec)
        }
        #expect(error?.message == message)
    }
}
