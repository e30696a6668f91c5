import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// Every failure arrives as its typed `RPCError`, from Swift and C servers alike.
@Suite("Error mapping", .timeLimit(.minutes(1)))
struct ErrorMappingTests {
    enum Peer: String, CaseIterable { case swift, c }

    /// Runs `body` with a client of a Swift or a C server of `cbtest.x` over TCP (LP64).
    func withPeer(_ peer: Peer, transport: String = "tcp", _ body: (RPCClient) async throws -> Void) async throws {
        switch peer {
        case .swift:
            try await withServer([ServerEndpoint(.loopback(transport), layout: .lp64)]) { _, bound in
                try await body(try RPCClient(address: bound[0].address, layout: .lp64))
            }
        case .c:
            try await withBackgroundProcess(try await CPeers.shared.build(.lp64).server, [transport]) { ready in
                let port = ready.split(separator: " ").last.map(String.init) ?? "0"
                try await body(try RPCClient(address: "\(transport)://127.0.0.1:\(port)", layout: .lp64))
            }
        }
    }

    func call(
        _ client: RPCClient, program: UInt32 = CPeerSources.program, version: UInt32 = 1, procedure: UInt32,
        arguments: [UInt8] = [], timeout: Duration? = nil
    ) async throws(RPCError) {
        let id = ProcedureID(program: program, version: version, procedure: procedure)
        _ = try await client.call(id, arguments: arguments, options: CallOptions(timeout: timeout))
    }

    @Test("unknown program, version and procedure", arguments: Peer.allCases)
    func unknownProgramVersionProcedure(peer: Peer) async throws {
        try await withPeer(peer) { client throws in
            await expectRPCError(.programUnavailable) { () throws(RPCError) in
                try await call(client, program: 0x2C0B_FFFF, procedure: 1)
            }
            let mismatch = await expectRPCError(.programMismatch) { () throws(RPCError) in
                try await call(client, version: 7, procedure: 1)
            }
            #expect(mismatch?.supportedVersions == 1...1)
            await expectRPCError(.procedureUnavailable) { () throws(RPCError) in try await call(client, procedure: 99) }
            try await call(client, procedure: 0)  // NULLPROC is always answered
        }
    }

    @Test("garbage arguments", arguments: Peer.allCases)
    func garbageArguments(peer: Peer) async throws {
        try await withPeer(peer) { client throws in
            let add = CPeerSources.Procedure.add.rawValue
            await expectRPCError(.garbageArguments) { () throws(RPCError) in
                try await call(client, procedure: add, arguments: [1, 2, 3])
            }
            await expectRPCError(.garbageArguments) { () throws(RPCError) in try await call(client, procedure: add) }
            #expect(try await TestClient(transport: client).add(1, 2) == 3)  // and the server keeps serving
        }
    }

    @Test("a failing handler gives SYSTEM_ERR and the server keeps serving", arguments: Peer.allCases)
    func systemError(peer: Peer) async throws {
        try await withPeer(peer) { client throws in
            await expectRPCError(.systemError) { () throws(RPCError) in
                try await call(client, procedure: CPeerSources.Procedure.fail.rawValue)
            }
            #expect(try await TestClient(transport: client).add(20, 22) == 42)
        }
    }

    @Test("a passed deadline gives a timeout, in time", arguments: Peer.allCases, ["tcp", "udp"])
    func deadline(peer: Peer, transport: String) async throws {
        try await withPeer(peer, transport: transport) { client throws in
            try await call(client, procedure: 0)  // connected before the clock starts
            // Measured on the client's executor: the caller resumes on the loop that fired the
            // deadline, so a cooperative pool kept busy by other tests does not delay it.
            let elapsed = await withTaskExecutorPreference(client.executor) {
                let started = ContinuousClock.now
                await expectRPCError(.timeout) { () throws(RPCError) in
                    try await call(
                        client, procedure: CPeerSources.Procedure.sleep.rawValue, arguments: [0, 0, 0x07, 0xD0],
                        timeout: .milliseconds(100))
                }
                return ContinuousClock.now - started
            }
            #expect(elapsed >= .milliseconds(100) && elapsed < .milliseconds(600), "\(elapsed)")
        }
    }

    @Test("a dead server gives a transport failure", arguments: ["tcp", "udp", "unix"])
    func deadServer(transport: String) async throws {
        let address: String
        if transport == "unix" {
            address = "unix://\(Paths.temporarySocket("nobody"))"
        } else {
            // A port that was free a moment ago and has no listener now.
            let port = try await withServer([ServerEndpoint(.loopback(transport), layout: .lp64)]) { _, bound in
                bound[0].address
            }
            address = port.description
        }
        let client = try RPCClient(address: address, layout: .lp64, options: .init(defaultTimeout: .seconds(5)))
        await expectRPCError(.transportFailure) { () throws(RPCError) in
            try await call(client, procedure: 1, arguments: [0, 0, 0, 0, 0, 0, 0, 0])
        }
    }

    @Test("connecting to a server that does not accept ends at the deadline")
    func unansweredConnect() async throws {
        // A listener that never accepts, its accept queue filled: further SYNs go unanswered.
        let (listener, port) = try boundLoopbackSocket(SOCK_STREAM)
        #expect(listen(listener, 0) == 0)
        let fillers = (0..<4).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withIPv4Address(0x7F00_0001, port: port) { connect(fd, $0, $1) }  // unanswered: it never completes
            return fd
        }
        defer { (fillers + [listener]).forEach { close($0) } }
        let client = try RPCClient(address: "tcp://127.0.0.1:\(port)", layout: .lp64)
        let started = ContinuousClock.now
        await expectRPCError(.timeout) { () throws(RPCError) in
            _ = try await client.call(
                ProcedureID(program: 1, version: 1, procedure: 0), arguments: [],
                options: CallOptions(timeout: .milliseconds(300)))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("a server that dies during a call gives a transport failure at once")
    func serverDiesDuringCall() async throws {
        let server = ChildProcess(try await CPeers.shared.build(.lp64).server, ["tcp"])
        try await server.start()
        defer { server.stopNow() }
        let ready = try await server.line(containing: "READY", timeout: .seconds(10))
        let port = ready.split(separator: " ").last.map(String.init) ?? "0"
        let client = try RPCClient(address: "tcp://127.0.0.1:\(port)", layout: .lp64)
        let started = ContinuousClock.now
        async let killed: Void = {
            try? await Task.sleep(for: .milliseconds(100)); server.stopNow()
        }()
        await expectRPCError(.transportFailure) { () throws(RPCError) in
            try await call(
                client, procedure: CPeerSources.Procedure.sleep.rawValue, arguments: [0, 0, 0x27, 0x10],
                timeout: .seconds(20))
        }
        await killed
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("closing a client fails its calls in flight at once, and every later call")
    func closedClient() async throws {
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)]) { _, bound throws in
            let client = try RPCClient(address: bound[0].address, layout: .lp64)
            let started = ContinuousClock.now
            async let closing: Void = {
                try? await Task.sleep(for: .milliseconds(100)); client.close()
            }()
            await expectRPCError(.transportFailure) { () throws(RPCError) in
                try await call(client, procedure: CPeerSources.Procedure.sleep.rawValue, arguments: [0, 0, 0x03, 0xE8])
            }
            await closing
            #expect(ContinuousClock.now - started < .milliseconds(900))
            await expectRPCError(.transportFailure) { () throws(RPCError) in try await call(client, procedure: 0) }
        }
    }
}
