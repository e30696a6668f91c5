import CrossbitCore
import CrossbitTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import CrossbitTransport

@Suite("Server behaviour", .timeLimit(.minutes(1)))
struct ServerBehaviourTests {
    @Test("sixteen concurrent 50 ms calls run concurrently", arguments: ["tcp", "udp", "unix"])
    func concurrentCalls(transport: String) async throws {
        try await withServer([ServerEndpoint(.loopback(transport), layout: .lp64)]) { _, bound in
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            try await client.sleep(milliseconds: 0)  // connect first
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 { group.addTask { try await client.sleep(milliseconds: 50) } }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .milliseconds(400), "16 × 50 ms took \(elapsed)")
        }
    }

    /// Wraps a dispatcher and counts the calls it has started.
    final class CountingService: RPCServiceDispatcher {
        let wrapped = TestService()
        let started = Mutex(0)
        var program: UInt32 { wrapped.program }
        var version: UInt32 { wrapped.version }

        func dispatch(procedure: UInt32, arguments: [UInt8], context: RPCCallContext) async throws(RPCError) -> [UInt8]
        {
            started.withLock { $0 += 1 }
            return try await wrapped.dispatch(procedure: procedure, arguments: arguments, context: context)
        }
    }

    @Test("UDP: a call the client sends again while it runs (after 500 ms) runs once")
    func retransmissionWhileRunning() async throws {
        let service = CountingService()
        try await withServer([.udp(host: "127.0.0.1", layout: .lp64)], services: [service]) { _, bound in
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            try await client.sleep(milliseconds: 1_200, timeout: .seconds(10))
            #expect(service.started.withLock { $0 } == 1, "the retransmissions at 0.5 s and 1.5 s ran the call again")
        }
    }

    @Test("UDP: a call sent again after its reply gets the same reply and does not run again")
    func retransmissionAfterReply() async throws {
        let service = CountingService()
        try await withServer([.udp(host: "127.0.0.1", layout: .lp64)], services: [service]) { _, bound in
            guard case .udp(_, let port) = bound[0].transport else { return }
            let fd = try connectedSocket(SOCK_DGRAM, toLoopbackPort: port)
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let add = ProcedureID(
                program: CPeerSources.program, version: CPeerSources.version,
                procedure: CPeerSources.Procedure.add.rawValue)
            let call = Array(
                CallMessage.encode(
                    xid: 0x5EED, procedure: add, credentialFlavor: AuthFlavor.none, credentials: [],
                    arguments: [0, 0, 0, 40, 0, 0, 0, 2]
                ).bytes.dropFirst(4))  // a datagram carries no record mark
            var replies: [[UInt8]] = []
            for _ in 0..<2 {
                #expect(send(fd, call, call.count, 0) == call.count)
                var buffer = [UInt8](repeating: 0, count: 1024)
                let count = recv(fd, &buffer, buffer.count, 0)
                try #require(count > 0, "no reply")
                replies.append(Array(buffer[..<count]))
            }
            #expect(replies[0] == replies[1])
            #expect(replies[0].suffix(4) == [0, 0, 0, 42])
            #expect(service.started.withLock { $0 } == 1)
            // Another xid is another call.
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            #expect(try await client.add(40, 2) == 42)
            #expect(service.started.withLock { $0 } == 2)
        }
    }

    /// Answers every call with `size` zero bytes.
    struct LargeResults: RPCServiceDispatcher {
        var program = CPeerSources.program
        var version = CPeerSources.version
        let size: Int

        func dispatch(
            procedure: UInt32, arguments: [UInt8], context: RPCCallContext
        ) async throws(RPCError) -> [UInt8] {
            [UInt8](repeating: 0, count: size)
        }
    }

    @Test("UDP: a result larger than a datagram is refused with SYSTEM_ERR, and the server serves on")
    func resultTooLargeForUDP() async throws {
        let udp: [ServerEndpoint] = [.udp(host: "127.0.0.1", layout: .lp64)]
        try await withServer(udp, services: [LargeResults(size: 70_000)]) { _, bound in
            let transport = try RPCClient(address: bound[0].address, layout: .lp64)
            let procedure = ProcedureID(program: CPeerSources.program, version: CPeerSources.version, procedure: 1)
            for _ in 0..<2 {
                await expectRPCError(.systemError) { () throws(RPCError) in
                    _ = try await transport.call(procedure, arguments: [], options: CallOptions(timeout: .seconds(5)))
                }
            }
        }
        try await withServer(udp, services: [LargeResults(size: 65_000)]) { _, bound in
            let transport = try RPCClient(address: bound[0].address, layout: .lp64)
            let procedure = ProcedureID(program: CPeerSources.program, version: CPeerSources.version, procedure: 1)
            #expect(try await transport.call(procedure, arguments: [], options: .defaults).count == 65_000)
        }
    }

    @Test("the duplicate-request cache forgets its oldest entries first")
    func duplicateRequestCacheEviction() throws {
        let cache = DuplicateRequestCache(capacity: 2)
        let peer = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
        func key(_ xid: UInt32) -> DuplicateRequestCache.Key {
            .init(
                channel: ObjectIdentifier(cache), peer: peer, xid: xid,
                procedure: ProcedureID(program: 1, version: 1, procedure: 1))
        }
        let reply = OutgoingMessage(head: [1, 2, 3, 4], body: [])
        guard case .run = cache.begin(key(1)) else { Issue.record("a new call runs"); return }
        guard case .drop = cache.begin(key(1)) else { Issue.record("a running call's duplicate is dropped"); return }
        cache.answer(key(1), with: reply)
        guard case .resend(let again) = cache.begin(key(1)) else {
            Issue.record("an answered call's duplicate is answered"); return
        }
        #expect(again.bytes == reply.bytes)
        guard case .run = cache.begin(key(2)), case .run = cache.begin(key(3)) else {
            Issue.record("new calls run"); return
        }
        guard case .run = cache.begin(key(1)) else { Issue.record("the oldest entry made room"); return }
    }

    @Test("graceful shutdown finishes the calls in flight, then stops serving")
    func gracefulShutdown() async throws {
        let service = CountingService()
        var address: RPCAddress?
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)], services: [service]) { server, bound in
            address = bound[0].address
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            async let inFlight: Void = client.sleep(milliseconds: 300)
            while service.started.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            server.shutdown()
            try await inFlight
        }
        let late = TestClient(transport: try RPCClient(address: try #require(address), layout: .lp64))
        await #expect(throws: RPCError.self) { try await late.add(1, 1) }
    }

    @Test("broken record marking closes only that connection")
    func brokenRecordMarking() async throws {
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)]) { _, bound throws in
            guard case .tcp(_, let port) = bound[0].transport else { return }
            let fd = try connectedSocket(SOCK_STREAM, toLoopbackPort: port)
            defer { close(fd) }
            let oversized: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]
            #expect(write(fd, oversized, oversized.count) == oversized.count)
            var byte: UInt8 = 0
            #expect(read(fd, &byte, 1) == 0, "the server closes the connection")
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            #expect(try await client.add(40, 2) == 42)
        }
    }

    @Test("IPv6 endpoints and bracketed addresses", arguments: ["tcp", "udp"])
    func ipv6(transport: String) async throws {
        let endpoint = ServerEndpoint(
            transport == "udp" ? .udp(host: "::1", port: 0) : .tcp(host: "::1", port: 0), layout: .lp64)
        try await withServer([endpoint]) { _, bound in
            let address = bound[0].address.description
            #expect(address.hasPrefix("\(transport)://[::1]:"))
            let client = TestClient(transport: try RPCClient(address: address, layout: .lp64))
            #expect(try await client.add(40, 2) == 42)
        }
    }

    @Test("a server may serve many program versions and tell them apart")
    func severalVersions() async throws {
        let services = [TestService(), TestService(version: 3)]
        try await withServer([.tcp(host: "127.0.0.1", layout: .ilp32)], services: services) { _, bound in
            let client = try RPCClient(address: bound[0].address, layout: .ilp32)
            let mismatch = await expectRPCError(.programMismatch) { () throws(RPCError) in
                _ = try await client.call(
                    ProcedureID(program: CPeerSources.program, version: 5, procedure: 1), arguments: [],
                    options: .defaults)
            }
            #expect(mismatch?.supportedVersions == 1...3)
        }
    }

    @Test("large messages cross in both directions, many at once", arguments: ["tcp", "unix"])
    func largeMessages(transport: String) async throws {
        try await withServer([ServerEndpoint(.loopback(transport), layout: .lp64)]) { _, bound in
            let client = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            let payloads = (0..<3).map { seed in [UInt8](repeating: UInt8(seed), count: 150_000) + [1, 2, 3] }
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for payload in payloads { group.addTask { try await client.blob(payload) == payload } }
                for try await same in group { #expect(same) }
            }
        }
    }

    @Test("a call over the server's maximum message size closes that connection only")
    func oversizedCall() async throws {
        let server = RPCServer(
            services: [TestService()], endpoints: [.tcp(host: "127.0.0.1", layout: .lp64)],
            options: .init(maximumMessageSize: 1 << 20))
        async let running: Void = server.run()
        let address = try await server.listeningEndpoints[0].address
        let client = TestClient(transport: try RPCClient(address: address, layout: .lp64))
        await expectRPCError(.transportFailure) { () throws(RPCError) in
            do { _ = try await client.blob([UInt8](repeating: 7, count: 2 << 20)) } catch let error as RPCError {
                throw error
            } catch {}
        }
        #expect(try await client.add(1, 2) == 3)  // a new connection is served
        #expect(server.limitsHit[.messageSize] == 1)
        server.shutdown()
        try await running
    }

    @Test(
        "calls with another RPC version, an unknown flavour or bad AUTH_SYS are denied",
        arguments: [
            (UInt32(3), AuthFlavor.none, [UInt8](), RPCError.Code.rpcVersionMismatch),
            (2, 99, [], .authenticationError),
            (2, AuthFlavor.sys, [0, 0, 0, 1], .authenticationError),
        ])
    func deniedCalls(rpcVersion: UInt32, flavor: UInt32, credentials: [UInt8], code: RPCError.Code) async throws {
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)]) { _, bound throws in
            let procedure = ProcedureID(program: CPeerSources.program, version: 1, procedure: 1)
            var call = CallMessage.encode(
                xid: 5, procedure: procedure, credentialFlavor: flavor, credentials: credentials, arguments: []
            ).bytes
            withUnsafeBytes(of: rpcVersion.bigEndian) { call.replaceSubrange(12..<16, with: $0) }
            let reply = try await exchange(call, with: bound[0])
            guard case .failure(let error) = ReplyMessage.decode(Record(head: reply), procedure: procedure) else {
                Issue.record("the call was accepted")
                return
            }
            #expect(error.code == code, "\(error)")
        }
    }

    /// Sends one framed call on a fresh TCP connection and returns the reply record (one fragment).
    func exchange(_ call: [UInt8], with endpoint: ServerEndpoint) async throws -> [UInt8] {
        guard case .tcp(_, let port) = endpoint.transport else { return [] }
        let fd = try connectedSocket(SOCK_STREAM, toLoopbackPort: port)
        defer { close(fd) }
        return try await CrossbitTransportTests.exchange(call, on: fd)
    }
}
