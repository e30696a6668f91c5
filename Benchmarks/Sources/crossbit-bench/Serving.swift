import CrossbitTransport
import Foundation

/// Runs `server` until SIGTERM, printing `READY ADDRESS…` once it listens: the
/// Swift servers the benchmark and the soak start as processes.
func serveUntilTerminated(_ server: RPCServer) async throws {
    let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    signal(SIGTERM, SIG_IGN)
    terminate.setEventHandler { server.shutdown() }
    terminate.resume()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let bound = try await server.listeningEndpoints
        FileHandle.standardOutput.write(
            Data("READY \(bound.map { $0.address.description }.joined(separator: " "))\n".utf8))
        try await group.waitForAll()
    }
    withExtendedLifetime(terminate) {}
}
