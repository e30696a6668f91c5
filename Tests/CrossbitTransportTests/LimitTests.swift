import CrossbitCore
import CrossbitTestSupport
import Glibc
import Testing

@testable import CrossbitTransport

/// The limits of `RPCServer.Options`: what one peer may take of a server
/// (connections, calls in flight, time to send a record), so that the others
/// are still served.
@Suite("Server limits", .timeLimit(.minutes(1)))
struct LimitTests {
    /// A server of the test service on a TCP and a unix endpoint, with `options`, for the duration of `body`.
    func withLimitedServer(
        _ options: RPCServer.Options, _ body: (RPCServer, _ port: UInt16, _ unix: RPCAddress) async throws -> Void
    ) async throws {
        let server = RPCServer(
            services: [TestService()],
            endpoints: [
                .tcp(host: "127.0.0.1", layout: .lp64), .unix(path: Paths.temporarySocket("limits"), layout: .lp64),
            ],
            options: options)
        async let running: Void = server.run()
        do {
            let bound = try await server.listeningEndpoints
            guard case .tcp(_, let port) = bound[0].transport else { throw ProcessFailure(description: "no TCP port") }
            try await body(server, port, bound[1].address)
        } catch {
            server.shutdown()
            try await running
            throw error
        }
        server.shutdown()
        try await running
    }

    /// Waits up to five seconds for `condition`.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    @Test(
        "2,000 connections from one address: per-peer limit holds, and other callers are answered within a second"
    )
    func perPeerLimit() async throws {
        try await withLimitedServer(.init(maximumConnectionsPerPeer: 100)) { server, port, unix in
            async let flood = readOnThread { () -> [Int32] in
                (0..<2000).compactMap { _ in try? connectedSocket(SOCK_STREAM, toLoopbackPort: port) }
            }
            try await Task.sleep(for: .milliseconds(20))  // the flood is under way
            var started = ContinuousClock.now
            #expect(try await TestClient(transport: try RPCClient(address: unix, layout: .lp64)).add(40, 2) == 42)
            let unixElapsed = ContinuousClock.now - started
            #expect(unixElapsed < .seconds(1), "a unix-socket caller waited \(unixElapsed)")
            // Another loopback address is another peer: a NULL call from 127.0.0.2 is answered.
            started = ContinuousClock.now
            let other = try connectedSocket(SOCK_STREAM, toLoopbackPort: port, from: 0x7F00_0002)
            defer { close(other) }
            let null = CallMessage.encode(
                xid: 9, procedure: ProcedureID(program: CPeerSources.program, version: 1, procedure: 0),
                credentialFlavor: AuthFlavor.none, credentials: [], arguments: [])
            let reply = try await exchange(null.bytes, on: other)
            let otherElapsed = ContinuousClock.now - started
            #expect(ReplyMessage.xid(of: reply) == 9)
            #expect(otherElapsed < .seconds(1), "a caller from 127.0.0.2 waited \(otherElapsed)")

            let sockets = await flood
            defer { sockets.forEach { close($0) } }
            #expect(sockets.count == 2000)
            #expect(try await eventually { server.limitsHit[.connectionsPerPeer] == 1900 }, "\(server.limitsHit)")
            var open = 0
            #expect(
                try await eventually {
                    open = sockets.filter { !peerClosed($0) }.count
                    return open == 100
                }, "\(open) of 2,000 connections from 127.0.0.1 stayed open, the limit is 100")
        }
    }

    @Test("a connection that sends half a record is closed after the deadline; an idle one is not")
    func incompleteRecord() async throws {
        try await withLimitedServer(.init(incompleteRecordTimeout: .milliseconds(200))) { server, port, _ in
            let idle = try connectedSocket(SOCK_STREAM, toLoopbackPort: port)
            defer { close(idle) }
            let slow = try connectedSocket(SOCK_STREAM, toLoopbackPort: port)
            defer { close(slow) }
            let half: [UInt8] = [0x80, 0, 0, 100] + [UInt8](repeating: 1, count: 10)
            #expect(write(slow, half, half.count) == half.count)
            let started = ContinuousClock.now
            #expect(try await eventually { peerClosed(slow) }, "the slow sender's connection stayed open")
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(3), "closed after \(elapsed)")
            #expect(server.limitsHit[.incompleteRecord] == 1)
            #expect(!peerClosed(idle), "a connection that sent nothing was closed")
        }
    }

    @Test("calls in flight per connection: past the limit the connection waits, and every call is answered")
    func callsInFlight() async throws {
        try await withLimitedServer(.init(maximumCallsInFlightPerConnection: 2)) { server, port, _ in
            let transport = try RPCClient(address: .tcp(host: "127.0.0.1", port: port), layout: .lp64)
            let client = TestClient(transport: transport)
            try await client.sleep(milliseconds: 0)  // connect first
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await client.sleep(milliseconds: 100) } }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(390), "8 × 100 ms, two at a time, took \(elapsed)")
            #expect(elapsed < .seconds(3))
            #expect((server.limitsHit[.callsInFlightPerConnection] ?? 0) >= 1)
        }
    }

    @Test("calls in flight per UDP endpoint: a datagram past the limit is dropped, counted, answered when sent again")
    func udpCallsInFlight() async throws {
        let options = RPCServer.Options(maximumCallsInFlightPerUDPEndpoint: 1)
        let endpoint = ServerEndpoint(.loopback("udp"), layout: .lp64)
        try await withServer([endpoint], services: [TestService()], options: options) { server, bound in
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await client.sleep(milliseconds: 200) } }
                try await group.waitForAll()
            }
            #expect((server.limitsHit[.callsInFlightPerUDPEndpoint] ?? 0) >= 2, "\(server.limitsHit)")
            #expect(server.limitsHit(onEndpoint: 0) == server.limitsHit)
        }
    }
}
