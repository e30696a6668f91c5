import CrossbitCore
import CrossbitTransport
import Foundation
import Synchronization
import Testing

@Suite("Clients on a server connection's event loop", .timeLimit(.minutes(1)))
struct EventLoopClientTests {
    /// Forwards every call to `backend` with a client on the event loop of
    /// the connection it arrived on, as the broker does, and counts the calls
    /// that resumed on another thread than the one they started on.
    final class ForwardingRouter: RPCCallRouter {
        let backend: RPCAddress
        let clients = Mutex<[ObjectIdentifier: RPCClient]>([:])
        let threadSwitches = Atomic(0)

        init(backend: RPCAddress) { self.backend = backend }

        func route(
            _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext
        ) async throws(RPCError) -> [UInt8] {
            guard let executor = context.executor else { throw RPCError(code: .systemError, message: "no executor") }
            let client = try clients.withLock { (clients) throws(RPCError) -> RPCClient in
                if let client = clients[ObjectIdentifier(executor)] { return client }
                let client = try RPCClient(address: backend, layout: .lp64, eventLoop: executor)
                clients[ObjectIdentifier(executor)] = client
                return client
            }
            let thread = pthread_self()
            let result = try await client.call(procedure, arguments: arguments, options: .defaults)
            if pthread_equal(thread, pthread_self()) == 0 { threadSwitches.add(1, ordering: .relaxed) }
            return result
        }

        func preferredExecutor(for procedure: ProcedureID, context: RPCCallContext) -> (any TaskExecutor)? {
            context.executor
        }
    }

    @Test(
        "forwarded calls stay on their loop's thread, run concurrently, share its client, which closes with the server"
    )
    func forwardingOnTheConnectionsLoop() async throws {
        try await withServer([.tcp(host: "127.0.0.1", layout: .lp64)]) { _, backend in
            let router = ForwardingRouter(backend: backend[0].address)
            let front = RPCServer(
                services: [], router: router, endpoints: [.tcp(host: "127.0.0.1", layout: .lp64)],
                options: RPCServer.Options(eventLoopCount: 2))
            async let running: Void = front.run()
            defer { front.shutdown() }
            let address = try await front.listeningEndpoints[0].address
            let callers = try (0..<4).map { _ in try RPCClient(address: address, layout: .lp64) }
            for caller in callers { #expect(try await TestClient(transport: caller).add(40, 2) == 42) }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask { try await TestClient(transport: callers[index % 4]).sleep(milliseconds: 50) }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .milliseconds(400), "16 × 50 ms forwarded took \(elapsed)")
            #expect(router.threadSwitches.load(ordering: .relaxed) == 0)
            let made = router.clients.withLock { Array($0.values) }
            #expect(made.count == 2, "4 connections on 2 loops share one forwarding client per loop")

            // A connection that closes leaves its loop and the loop's client to the others.
            callers[0].close()
            try await Task.sleep(for: .milliseconds(50))
            #expect(made.allSatisfy { !$0.isClosed })
            for caller in callers.dropFirst() { #expect(try await TestClient(transport: caller).add(1, 2) == 3) }
            #expect(router.clients.withLock { $0.count } == 2)

            front.shutdown()
            try await running
            let deadline = ContinuousClock.now + .seconds(5)
            while made.contains(where: { !$0.isClosed }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(made.allSatisfy { $0.isClosed }, "a forwarding client outlived its server")
            let forwarding = try #require(made.first)
            await expectRPCError(.transportFailure) { () throws(RPCError) in
                _ = try await forwarding.call(
                    ProcedureID(program: CPeerSources.program, version: CPeerSources.version, procedure: 0),
                    arguments: [], options: .defaults)
            }
            callers.forEach { $0.close() }
        }
    }

    @Test("an executor that is not a Crossbit event loop is refused")
    func foreignExecutor() async {
        await expectRPCError(.invalidArgument) { () throws(RPCError) in
            _ = try RPCClient(
                address: .tcp(host: "127.0.0.1", port: 1), layout: .lp64, eventLoop: globalConcurrentExecutor)
        }
    }
}
