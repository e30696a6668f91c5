public import CrossbitCore
public import CrossbitTransport
import Logging

/// Runs an ``RPCServer`` of `services` for the duration of `body`, then shuts
/// it down gracefully and waits for `run()` to return.
public func withServer<T>(
    _ endpoints: [ServerEndpoint], services: [any RPCServiceDispatcher], options: RPCServer.Options = .init(),
    _ body: (_ server: RPCServer, _ bound: [ServerEndpoint]) async throws -> T
) async throws -> T {
    let logger = Logger(label: "crossbit.tests") { _ in SwiftLogNoOpLogHandler() }
    let server = RPCServer(services: services, endpoints: endpoints, options: options, logger: logger)
    let running = Task { try await server.run() }
    do {
        let result = try await body(server, try await server.listeningEndpoints)
        server.shutdown()
        try await running.value
        return result
    } catch {
        server.shutdown()
        _ = try? await running.value
        throw error
    }
}
