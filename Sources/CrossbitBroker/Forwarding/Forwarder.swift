import CrossbitCore
import CrossbitTransport
import Synchronization

/// The broker's clients of its servers. A call is forwarded by a client on
/// the event loop of the broker connection it arrived on (one per server
/// address and layout and broker event loop, shared by the connections that
/// loop serves), so that one thread reads the call, sends it on, reads the
/// server's reply and answers, with no thread switch: the call's task
/// suspends while the server works, and the loop reads on meanwhile. A
/// client multiplexes concurrent calls on its connection and opens a new one
/// after the server went away, so a restarted server is reached again. The
/// clients are bounded by loops × servers, and closed when their route is
/// released or at shutdown.
final class Forwarder: Sendable {
    private struct Key: Hashable {
        var address: RPCAddress
        var layout: WireLayout
    }

    /// Clients by server, then by the event loop they are on (nil: a loop of its own).
    private let clients = Mutex<[Key: [ObjectIdentifier?: RPCClient]]>([:])
    private let options: RPCClient.Options

    init(callTimeout: Duration) {
        options = RPCClient.Options(defaultTimeout: callTimeout)
    }

    /// Sends a call to the route's server and waits for its reply, from the
    /// event loop of `context` when it has one.
    func forward(
        _ procedure: ProcedureID, arguments: [UInt8], to route: ServerRoute, context: RPCCallContext
    ) async throws(RPCError) -> [UInt8] {
        try await client(for: route, on: context.executor).call(procedure, arguments: arguments, options: .defaults)
    }

    /// Sends a call to the route's server; `completion` gets the reply, on
    /// the event loop of `context` when it has one (with no task in between).
    func forward(
        _ procedure: ProcedureID, arguments: [UInt8], to route: ServerRoute, context: RPCCallContext,
        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void
    ) {
        do {
            try client(for: route, on: context.executor)
                .call(procedure, arguments: arguments, options: .defaults, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    private func client(for route: ServerRoute, on executor: (any TaskExecutor)?) throws(RPCError) -> RPCClient {
        let key = Key(address: route.url, layout: route.layout)
        let loop = executor.map { ObjectIdentifier($0) }
        return try clients.withLock { (clients) throws(RPCError) -> RPCClient in
            if let client = clients[key]?[loop] { return client }
            let client =
                if let executor {
                    try RPCClient(address: route.url, layout: route.layout, options: options, eventLoop: executor)
                } else {
                    try RPCClient(address: route.url, layout: route.layout, options: options)
                }
            clients[key, default: [:]][loop] = client
            return client
        }
    }

    /// Closes the clients of a server no route uses any more.
    func release(_ route: ServerRoute) {
        let removed = clients.withLock { $0.removeValue(forKey: Key(address: route.url, layout: route.layout)) }
        removed?.values.forEach { $0.close() }
    }

    /// Closes every client (at shutdown).
    func closeAll() {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return clients.values.flatMap(\.values)
        }
        all.forEach { $0.close() }
    }
}
