import CrossbitCore
import CrossbitTransport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The broker's clients of its servers: a small pool of ``RPCClient``s per
/// server address and layout, each with its own connection and reader
/// thread. A client multiplexes concurrent calls on its connection and opens
/// a new connection after the server went away, so a restarted server is
/// reached again.
///
/// A call takes the pool's client picked by the thread it arrived on (each
/// broker connection has a thread of its own), so that callers on different
/// connections do not contend for one connection's send lock, and so that
/// ``executor(for:)`` and ``forward(_:arguments:to:)`` agree on the client.
final class Forwarder: Sendable {
    private struct Key: Hashable {
        var address: RPCAddress
        var layout: WireLayout
    }

    /// Connections per server.
    static let poolSize = 4

    private let pools = Mutex<[Key: [RPCClient]]>([:])
    private let options: RPCClient.Options

    init(callTimeout: Duration) {
        options = RPCClient.Options(defaultTimeout: callTimeout)
    }

    /// Sends a call to the route's server and waits for its reply.
    func forward(_ procedure: ProcedureID, arguments: [UInt8], to route: ServerRoute) async throws(RPCError) -> [UInt8] {
        try await client(for: route).call(procedure, arguments: arguments, options: .defaults)
    }

    /// The thread that reads the replies of the route's server to calls
    /// made from the current thread.
    func executor(for route: ServerRoute) -> (any TaskExecutor)? {
        try? client(for: route).executor
    }

    private func client(for route: ServerRoute) throws(RPCError) -> RPCClient {
        let key = Key(address: route.url, layout: route.layout)
        let slot = Self.slotOfCurrentThread
        return try pools.withLock { pools throws(RPCError) in
            var pool = pools[key] ?? []
            if slot < pool.count { return pool[slot] }
            while pool.count <= slot {
                pool.append(try RPCClient(address: route.url, layout: route.layout, options: options))
            }
            pools[key] = pool
            return pool[slot]
        }
    }

    /// A pool index that is the same for every call made on one thread.
    private static var slotOfCurrentThread: Int {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: pthread_self())))
        return Int((thread &* 0x9E37_79B9_7F4A_7C15) >> 61) % poolSize
    }

    /// Closes the clients of a server no route uses any more.
    func release(_ route: ServerRoute) {
        pools.withLock { $0.removeValue(forKey: Key(address: route.url, layout: route.layout)) }?.forEach { $0.close() }
    }

    /// Closes every client (at shutdown).
    func closeAll() {
        let all = pools.withLock { pools in
            defer { pools = [:] }
            return pools.values.flatMap { $0 }
        }
        all.forEach { $0.close() }
    }
}
