import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// Debian's own programs: the 32-bit `rup` and `rusers` (i386 packages
/// rstat-client and rusers) reach the 64-bit `rpc.rstatd` and `rpc.rusersd`
/// (packages rstatd, rusersd) over UDP only through the broker, whose
/// rpcbind registrations replace the daemons' own.
@Suite("Debian's 32-bit rup and rusers through the broker over UDP", .serialized, .timeLimit(.minutes(2)))
struct LegacyUDPClientTests {
    static let daemons = ["/usr/sbin/rpc.rstatd", "/usr/sbin/rpc.rusersd"]
    static let programs: [UInt32] = [100_001, 100_002]
    /// rusers.x with version 2 too (Debian's file describes it only in C).
    static let rusersIDL = Paths.repositoryRoot + "/Tests/IDL/rusers.x"

    static var available: Bool {
        get async {
            let programs = daemons + ["/usr/bin/rup", "/usr/bin/rusers"]
            return await BrokerProcessTests.rpcbindRuns
                && programs.allSatisfy(FileManager.default.isExecutableFile(atPath:))
        }
    }

    /// rpcbind's registrations on 127.0.0.1: (program, version, protocol, port).
    func registrations() async throws -> [(program: UInt32, version: UInt32, proto: String, port: UInt16)] {
        try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).combined.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 4, let program = UInt32(fields[0]), let version = UInt32(fields[1]),
                let port = UInt16(fields[3])
            else { return nil }
            return (program, version, String(fields[2]), port)
        }
    }

    @Test(
        "rup and rusers (i386) reach rpc.rstatd and rpc.rusersd (amd64) through the broker's UDP endpoint",
        .enabled { await available })
    func rupAndRusers() async throws {
        let started = try await startDaemons()
        try #require(started.count == Self.daemons.count, "daemons found: \(started)")
        defer { started.forEach { kill($0, SIGKILL) } }  // rpc.rstatd ignores SIGTERM
        let own = try await registrations().filter { Self.programs.contains($0.program) && $0.proto == "udp" }
        #expect(Set(own.map(\.program)) == Set(Self.programs), "the daemons registered: \(own)")
        // The versions rstat.x and the test's rusers.x define (rpc.rstatd also registers 1 and 5, which
        // no IDL describes).
        let described: [UInt32: ClosedRange<UInt32>] = [100_001: 2...4, 100_002: 2...3]
        let routes = own.filter { described[$0.program]?.contains($0.version) == true }.flatMap { entry in
            ["--route", "\(entry.program):\(entry.version)=lp64@udp://127.0.0.1:\(entry.port)"]
        }
        try await withDaemon(
            [
                "--idl", "/usr/include/rpcsvc/rstat.x", "--idl", Self.rusersIDL,
                "--listen", "ilp32=udp://127.0.0.1:0", "--rpcbind", "ilp32",
            ] + routes, logLevel: "trace"
        ) { (daemon: Daemon) async throws in
            guard case .udp(_, let brokerPort)? = daemon.endpoints.first?.address else {
                throw ProcessFailure(description: "the broker lists no UDP endpoint: \(daemon.endpoints)")
            }
            // The versions the broker does not route (no IDL describes them) are taken out of rpcbind too,
            // so that rup and rusers fall back to those it does.
            for entry in own where described[entry.program]?.contains(entry.version) != true {
                _ = try await runTool("/usr/sbin/rpcinfo", ["-d", "\(entry.program)", "\(entry.version)"])
            }
            // rpcbind now sends UDP callers of both programs to the broker, and only to it.
            let now = try await registrations().filter { Self.programs.contains($0.program) && $0.proto == "udp" }
            #expect(!now.isEmpty && now.allSatisfy { $0.port == brokerPort }, "after the broker registered: \(now)")
            let rup = try await runTool("/usr/bin/rup", ["127.0.0.1"], expectSuccess: false)
            #expect(rup.status == 0 && rup.combined.contains(" up "), "\(rup.combined)")
            let rusers = try await runTool("/usr/bin/rusers", ["-a", "127.0.0.1"], expectSuccess: false)
            #expect(rusers.status == 0, "\(rusers.combined)")
            let forwarded = daemon.log.split(separator: "\n").filter { $0.contains("forwarding") }
            for program in ["RSTATPROG.", "RUSERSPROG."] {
                #expect(
                    forwarded.contains { $0.contains(program) },
                    "no \(program) call went through the broker:\n\(daemon.log)")
            }
        }
    }

    /// Starts both daemons (they detach themselves, so their standard
    /// streams go to /dev/null) and returns their process ids, found by the
    /// UDP ports they registered.
    func startDaemons() async throws -> [pid_t] {
        // Each detaches itself; its output pipe closes when it is killed.
        for daemon in Self.daemons { try await ChildProcess(daemon, []).start() }
        var ports: [UInt16] = []
        for _ in 0..<100 {
            let entries = try await registrations().filter { Self.programs.contains($0.program) && $0.proto == "udp" }
            ports = entries.map(\.port)
            if Set(entries.map(\.program)).count == Self.programs.count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Set(ports).compactMap(processHoldingUDPPort)
    }
}

/// The process with a UDP socket bound to `port` (from /proc/net/udp and
/// each process's descriptors), nil when none is found.
func processHoldingUDPPort(_ port: UInt16) -> pid_t? {
    let table = ["/proc/net/udp", "/proc/net/udp6"].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        .joined(separator: "\n")
    let hexPort = String(format: ":%04X", port)
    let inodes = table.split(separator: "\n").compactMap { line -> String? in
        let fields = line.split(separator: " ")
        guard fields.count > 9, fields[1].hasSuffix(hexPort) else { return nil }
        return String(fields[9])
    }
    guard let processes = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    for entry in processes {
        guard let pid = pid_t(entry),
            let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
        else { continue }
        for fd in fds {
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(fd)")) ?? ""
            if inodes.contains(where: { link == "socket:[\($0)]" }) { return pid }
        }
    }
    return nil
}
