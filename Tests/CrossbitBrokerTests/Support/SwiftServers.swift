import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Synchronization

/// The second test program: a slow procedure, a width-dependent echo and a
/// checked pass-through procedure; counts the calls it gets.
struct BrokerTestService: BrokerTest.BrokerTestV1Service {
    let calls = Calls()

    final class Calls: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func add() { count.withLock { $0 += 1 } }
    }

    func sleep(_ argument: UInt32, context: RPCCallContext) async throws -> UInt32 {
        calls.add()
        try await Task.sleep(for: .milliseconds(Int(argument)))
        return argument
    }
    func echo(_ argument: UInt, context: RPCCallContext) async throws -> UInt {
        calls.add()
        return argument
    }
    func check(_ argument: BrokerTest.TestRequest, context: RPCCallContext) async throws -> Int32 {
        calls.add()
        return Int32(argument.values.count)
    }
}

/// Runs `body` with an in-process Swift server of `services` on loopback TCP
/// in `layout`; shuts it down afterwards.
func withSwiftServer<T>(
    _ services: [any RPCServiceDispatcher], layout: WireLayout = .lp64,
    _ body: (_ address: RPCAddress) async throws -> T
) async throws -> T {
    try await withServer([.tcp(host: "127.0.0.1", port: 0, layout: layout)], services: services) { _, bound in
        try await body(bound[0].address)
    }
}
