import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// Servers that fail under a client, as real processes: every call ends with a typed error within its
/// deadline, and the client works again once the server does.
@Suite("Fault injection: servers that die or misbehave", .timeLimit(.minutes(2)))
struct FaultInjectionTests {
    static let deadline = Duration.seconds(3)

    /// The code a misbehaving server's answer gives the caller.
    static func expectedCode(_ mode: FaultyServer.Mode) -> RPCError.Code {
        switch mode {
        // A record with the call's xid that is no reply is dropped like one for another call.
        case .silent, .wrongXID, .garbage: .timeout
        case .halfRecord: .transportFailure
        }
    }

    @Test(
        "a server that never answers, answers garbage, another xid or half a record",
        arguments: FaultyServer.Mode.allCases)
    func misbehavingServer(mode: FaultyServer.Mode) async throws {
        let path = Paths.temporarySocket("faulty")
        defer { unlink(path) }
        let server = try await FaultyServer.build()
        try await withBackgroundProcess(server, [mode.rawValue, path]) { (_: String) async throws in
            let client = TestClient(transport: try RPCClient(address: "unix://\(path)", layout: .lp64))
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                try await client.sleep(milliseconds: 1, timeout: Self.deadline)
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == Self.expectedCode(mode), "\(mode): \(String(describing: error))")
            #expect(elapsed < Self.deadline + .seconds(1), "\(mode): the error came after \(elapsed)")
        }
    }

    @Test("a server killed in the middle of a call: a typed error before the deadline, then calls work again")
    func serverKilledMidCall() async throws {
        let server = try await CPeers.shared.build(.lp64).server
        let path = Paths.temporarySocket("killed")
        defer { unlink(path) }
        let client = TestClient(transport: try RPCClient(address: "unix://\(path)", layout: .lp64))
        let first = ChildProcess(server, ["unix", path])
        try await first.start()
        defer { first.stopNow() }
        _ = try await first.line(containing: "READY")
        #expect(try await client.add(2, 3) == 5)
        let killer = Task {
            try await Task.sleep(for: .milliseconds(300))
            first.kill(SIGKILL)
        }
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            try await client.sleep(milliseconds: 20_000, timeout: .seconds(10))
        }
        #expect(error?.code == .transportFailure, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(5))
        try await killer.value
        try await withBackgroundProcess(server, ["unix", path]) { (_: String) async throws in
            #expect(try await client.add(40, 2) == 42)
        }
    }
}
