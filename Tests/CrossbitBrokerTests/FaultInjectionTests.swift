import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Synchronization
import Testing

/// The broker through faults of the processes around it, all real: rpcbind restarted under it, and the broker
/// itself restarted while clients call.
@Suite("Fault injection: rpcbind and the broker restarted", .serialized, .timeLimit(.minutes(2)))
struct FaultInjectionTests {
    /// Runs in a mount and network namespace of its own (a private /run, loopback only), so that the rpcbind it
    /// kills and starts again is not the one other tests on this machine use.
    static let rpcbindRestart = #"""
        set -u
        crossbitd=$1 idl=$2 log=$3
        mount -t tmpfs tmpfs /run || exit 10
        ip link set lo up || exit 11
        mkdir -p /run/rpcbind
        rpcbind= broker=
        trap 'kill -9 $broker $rpcbind 2>/dev/null; wait' EXIT
        start_rpcbind() {
          # Not on the script's output, which the test reads to its end.
          /usr/sbin/rpcbind -f -w </dev/null >/dev/null 2>&1 & rpcbind=$!
          for _ in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && return 0; sleep 0.1; done
          echo "rpcbind did not start"; exit 12
        }
        registered() { rpcinfo -p 127.0.0.1 2>/dev/null | grep -qw 536875009; }
        wait_registered() {
          for _ in $(seq "$1"); do registered && return 0; sleep 0.1; done
          return 1
        }
        start_rpcbind
        "$crossbitd" --idl "$idl" --listen ilp32=tcp://127.0.0.1:7000 --rpcbind ilp32 \
          --route CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@tcp://127.0.0.1:7100 >"$log" 2>&1 & broker=$!
        wait_registered 100 || { echo "the broker never registered"; exit 13; }
        echo REGISTERED
        kill -9 $rpcbind; wait $rpcbind 2>/dev/null
        start_rpcbind
        registered && { echo "the new rpcbind remembered the registration"; exit 14; }
        start=$(date +%s%N)
        wait_registered 150 || { echo "not registered again within 15 s"; exit 15; }
        echo "REGISTERED AGAIN after $(( ($(date +%s%N) - start) / 1000000 )) ms"
        """#

    @Test("rpcbind restarted while the broker runs: the broker's registrations come back by themselves")
    func rpcbindRestarted() async throws {
        let directory = try Paths.temporaryDirectory("rpcbind-restart")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appending(path: "crossbitd.log").path
        let result = try await runTool(
            "/usr/bin/unshare",
            [
                "--mount", "--net", "--propagation", "private", "/bin/bash", "-c", Self.rpcbindRestart, "restart",
                Paths.crossbitd, Paths.sampleIDL, log,
            ],
            timeout: .seconds(60), expectSuccess: false)
        let brokerLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(result.combined)\ncrossbitd:\n\(brokerLog)")
        #expect(result.output.contains("REGISTERED AGAIN after"), "\(result.combined)")
        #expect(brokerLog.contains("registered with rpcbind again"), "\(brokerLog)")
    }

    @Test("the broker restarted under load: every answer is right, and every client's later calls succeed")
    func brokerRestartedUnderLoad() async throws {
        let service = SampleService.dispatcher()
        try await withSwiftServer([service]) { (server: RPCAddress) async throws in
            let arguments = ["--idl", Paths.sampleIDL, "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)"]
            let first = try await Daemon.start(arguments + ["--listen", "ilp32=tcp://127.0.0.1:0"])
            let port = first.port(.ilp32)
            let load = Load(port: port, clients: 8)
            let calling = Task { try await load.run() }
            try await Task.sleep(for: .seconds(1))
            #expect(await first.process.stop() == 0)
            let second = try await Daemon.start(arguments + ["--listen", "ilp32=tcp://127.0.0.1:\(port)"])
            let restarted = ContinuousClock.now
            load.markRestart(at: restarted)
            try await Task.sleep(for: .seconds(2))
            load.stop()
            let result = try await calling.value
            #expect(await second.process.stop() == 0)
            #expect(result.wrongAnswers == 0)
            #expect(result.clientsSucceedingAfterRestart == 8, "\(result)")
            #expect(result.calls > result.typedErrors, "\(result)")
        }
    }
}

/// Clients calling SAMPLE_ECHO_SIZE through the broker in a loop, each answer checked.
final class Load: Sendable {
    struct Result: Sendable, CustomStringConvertible {
        var calls = 0
        var wrongAnswers = 0
        var typedErrors = 0
        var clientsSucceedingAfterRestart = 0
        var description: String {
            "\(calls) calls, \(wrongAnswers) wrong, \(typedErrors) typed errors, "
                + "\(clientsSucceedingAfterRestart) clients succeeded after the restart"
        }
    }

    let port: UInt16
    let clients: Int
    private let state = Mutex<(stopped: Bool, restart: ContinuousClock.Instant?)>((false, nil))

    init(port: UInt16, clients: Int) {
        self.port = port
        self.clients = clients
    }

    func markRestart(at instant: ContinuousClock.Instant) { state.withLock { $0.restart = instant } }
    func stop() { state.withLock { $0.stopped = true } }

    func run() async throws -> Result {
        try await withThrowingTaskGroup(of: Result.self) { group in
            for index in 0..<clients {
                group.addTask { try await self.client(index) }
            }
            return try await group.reduce(into: Result()) { total, one in
                total.calls += one.calls
                total.wrongAnswers += one.wrongAnswers
                total.typedErrors += one.typedErrors
                total.clientsSucceedingAfterRestart += one.clientsSucceedingAfterRestart
            }
        }
    }

    private func client(_ index: Int) async throws -> Result {
        let transport = try RPCClient(
            address: .tcp(host: "127.0.0.1", port: port), layout: .ilp32, options: .init(defaultTimeout: .seconds(2)))
        defer { transport.close() }
        let client = Sample.CrossbitSampleV1Client(transport: transport)
        var result = Result()
        var value = UInt(index) << 20
        while !state.withLock({ $0.stopped }) {
            value += 1
            let started = ContinuousClock.now
            result.calls += 1
            do {
                let answer = try await client.echoSize(value)
                if answer != value { result.wrongAnswers += 1 }
                if let restart = state.withLock({ $0.restart }), started > restart {
                    result.clientsSucceedingAfterRestart = 1
                }
            } catch {
                // The generated client throws RPCError only: every failure is typed.
                result.typedErrors += 1
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return result
    }
}
