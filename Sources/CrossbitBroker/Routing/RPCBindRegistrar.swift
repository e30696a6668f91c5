import CrossbitCore
import CrossbitTransport
import Logging
import Synchronization

/// Registers routed program versions with the local rpcbind at the
/// broker's TCP and UDP endpoints of one layout, each under its protocol, so
/// that legacy clients calling `clnt_create(host, PROG, VERS, "tcp")` or
/// `"udp"` (`callrpc`, `rup`) reach the broker; unregisters them again at shutdown.
final class RPCBindRegistrar: Sendable {
    private struct Key: Hashable {
        var program: UInt32
        var version: UInt32
    }

    let endpoints: [ServerEndpoint]
    private let logger: Logger
    private let state = Mutex<(server: RPCServer?, registered: Set<Key>)>((nil, []))

    init(endpoints: [ServerEndpoint], logger: Logger) {
        self.endpoints = endpoints
        self.logger = logger
    }

    /// The server whose endpoint is registered; set before it runs.
    func attach(_ server: RPCServer) {
        state.withLock { $0.server = server }
    }

    func register(program: UInt32, version: UInt32) async throws(RPCError) {
        guard let server = state.withLock({ $0.server }) else { return }
        for endpoint in endpoints {
            try await server.registerWithRPCBind(program: program, version: version, on: endpoint)
            state.withLock { _ = $0.registered.insert(Key(program: program, version: version)) }
            logger.info(
                "registered with rpcbind",
                metadata: [
                    "program": "\(program)", "version": "\(version)", "endpoint": "\(endpoint)",
                ])
        }
    }

    func unregister(program: UInt32, version: UInt32) async {
        let key = Key(program: program, version: version)
        guard let server = state.withLock({ $0.registered.remove(key) != nil ? $0.server : nil }) else { return }
        for endpoint in endpoints {
            await server.unregisterFromRPCBind(program: program, version: version, on: endpoint)
        }
        logger.info("unregistered from rpcbind", metadata: ["program": "\(program)", "version": "\(version)"])
    }

    /// How often ``keepRegistered()`` asks rpcbind for the registrations.
    static let checkInterval = Duration.seconds(2)

    /// Registers again, until cancelled, whatever rpcbind has forgotten: an rpcbind restarted while the broker
    /// runs starts empty (its warm-start file is written only at a clean exit, and not by every rpcbind), and
    /// legacy clients would not find the broker again until it restarted too.
    func keepRegistered() async {
        while (try? await Task.sleep(for: Self.checkInterval)) != nil {
            guard let server = state.withLock({ $0.server }) else { continue }
            for key in state.withLock({ Array($0.registered) }) {
                for endpoint in endpoints
                where await server.isMissingFromRPCBind(program: key.program, version: key.version, on: endpoint) {
                    await registerAgain(key, on: endpoint, with: server)
                }
            }
        }
    }

    private func registerAgain(_ key: Key, on endpoint: ServerEndpoint, with server: RPCServer) async {
        do {
            try await server.registerWithRPCBind(program: key.program, version: key.version, on: endpoint)
            logger.notice(
                "registered with rpcbind again (rpcbind had forgotten it)",
                metadata: ["program": "\(key.program)", "version": "\(key.version)", "endpoint": "\(endpoint)"])
        } catch {
            logger.warning("cannot register with rpcbind again", metadata: ["error": "\(error)"])
        }
    }

    /// Removes every registration (at shutdown).
    func unregisterAll() async {
        for key in state.withLock({ Array($0.registered) }) {
            await unregister(program: key.program, version: key.version)
        }
    }
}
