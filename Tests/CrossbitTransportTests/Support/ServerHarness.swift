import CrossbitCore
import CrossbitTransport
import Foundation
import Logging
import Testing

/// Runs an ``RPCServer`` of a ``TestService`` for the duration of `body`
/// (`withServer(_:services:_:)` of CrossbitTestSupport serves others).
func withServer<T>(
    _ endpoints: [ServerEndpoint], _ body: (_ server: RPCServer, _ bound: [ServerEndpoint]) async throws -> T
) async throws -> T {
    try await withServer(endpoints, services: [TestService()], body)
}

extension ServerEndpoint.Transport {
    /// A loopback endpoint of this kind with a free port or a fresh path.
    static func loopback(_ kind: String) -> ServerEndpoint.Transport {
        switch kind {
        case "udp": .udp(host: "127.0.0.1", port: 0)
        case "unix": .unix(path: Paths.temporarySocket("server"))
        default: .tcp(host: "127.0.0.1", port: 0)
        }
    }
}

extension ServerEndpoint {
    /// The arguments that point the C client at this endpoint.
    var cClientArguments: [String] {
        switch transport {
        case .tcp(let host, let port): ["tcp", host, String(port)]
        case .udp(let host, let port): ["udp", host, String(port)]
        case .unix(let path): ["unix", path]
        }
    }
}

/// Expects `body` to throw an `RPCError` with `code`, and returns it.
@discardableResult
func expectRPCError(
    _ code: RPCError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws(RPCError) -> Void
) async -> RPCError? {
    do throws(RPCError) {
        try await body()
        Issue.record("expected \(code), got a reply", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}
