import CrossbitCore
import CrossbitTransport
import Synchronization

/// The broker's clients of its servers: one ``RPCClient`` per server address
/// and layout, shared by every call to that server. A client multiplexes
/// concurrent calls on its connection and opens a new connection after the
/// server went away, so a restarted server is reached again.
final class Forwarder: Sendable {
    private struct Key: Hashable {
        var address: RPCAddress
        var layout: WireLayout
    }

    private let clients = Mutex<[Key: RPCClient]>([:])
    private let options: RPCClient.Options

    init(callTimeout: Duration) {
        options = RPCClient.Options(defaultTimeout: callTimeout)
    }

    /// Sends a call to the route's server and waits for its reply.
    func forward(_ procedure: ProcedureID, arguments: [UInt8], to route: ServerRoute) async throws(RPCError) -> [UInt8] {
        try await client(for: route).call(procedure, arguments: arguments, options: .defaults)
    }

    /// The thread that reads the replies of the route's server.
    func executor(for route: ServerRoute) -> (any TaskExecutor)? {
        try? client(for: route).executor
    }

    private func client(for route: ServerRoute) throws(RPCError) -> RPCClient {
        let key = Key(address: route.url, layout: route.layout)
        return try clients.withLock { clients throws(RPCError) in
            if let client = clients[key] { return client }
            let client = try RPCClient(address: route.url, layout: route.layout, options: options)
            clients[key] = client
            return client
        }
    }

    /// Closes the client of a server no route uses any more.
    func release(_ route: ServerRoute) {
        clients.withLock { $0.removeValue(forKey: Key(address: route.url, layout: route.layout)) }?.close()
    }

    /// Closes every client (at shutdown).
    func closeAll() {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        all.forEach { $0.close() }
    }
}
