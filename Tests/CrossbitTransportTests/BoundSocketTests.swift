import CrossbitCore
import CrossbitTestSupport
import Foundation
import Glibc
import Testing

@testable import CrossbitTransport

/// Sockets handed to a server already bound (systemd's socket activation):
/// what `BoundSocket` reads of them, and a server serving on them.
@Suite("Bound sockets", .timeLimit(.minutes(1)))
struct BoundSocketTests {
    @Test("getsockname and SO_TYPE give tcp://, udp:// and unix:// addresses; other descriptors are refused by number")
    func readsAddresses() throws {
        let (tcp, tcpPort) = try boundLoopbackSocket(SOCK_STREAM)
        defer { close(tcp) }
        let (udp, udpPort) = try boundLoopbackSocket(SOCK_DGRAM)
        defer { close(udp) }
        let path = Paths.temporarySocket("bound")
        let unix = try boundUnixSocket(at: path)
        defer { close(unix); unlink(path) }
        #expect(try BoundSocket(descriptor: tcp).address == .tcp(host: "127.0.0.1", port: tcpPort))
        #expect(try BoundSocket(descriptor: udp).address == .udp(host: "127.0.0.1", port: udpPort))
        #expect(try BoundSocket(descriptor: unix).address == .unix(path: path))
        #expect(try BoundSocket(descriptor: tcp).isBound(to: .tcp(host: "localhost", port: tcpPort)))
        #expect(try !BoundSocket(descriptor: tcp).isBound(to: .udp(host: "127.0.0.1", port: tcpPort)))
        #expect(try !BoundSocket(descriptor: tcp).isBound(to: .tcp(host: "127.0.0.2", port: tcpPort)))
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { pipeEnds.forEach { close($0) } }
        #expect(refusal(of: pipeEnds[0]) == "descriptor \(pipeEnds[0]): not a socket")
        let unbound = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(unbound) }
        #expect(
            refusal(of: unbound) == "descriptor \(unbound): an unbound or abstract unix socket: "
                + "only unix stream sockets bound to a path are served")
    }

    /// The message `BoundSocket` refuses `descriptor` with (nil when it takes it).
    func refusal(of descriptor: Int32) -> String? {
        do {
            _ = try BoundSocket(descriptor: descriptor)
            return nil
        } catch {
            #expect(error.code == .invalidArgument)
            return error.message
        }
    }

    @Test("a server serves TCP, UDP and unix calls on sockets it did not bind, and leaves the unix socket's file")
    func servesOnBoundSockets() async throws {
        let (tcp, _) = try boundLoopbackSocket(SOCK_STREAM)
        let (udp, _) = try boundLoopbackSocket(SOCK_DGRAM)
        let path = Paths.temporarySocket("bound")
        let unix = try boundUnixSocket(at: path)
        defer { unlink(path) }
        let endpoints = try [tcp, udp, unix].map {
            try ServerEndpoint(boundSocket: try BoundSocket(descriptor: $0), layout: .lp64)
        }
        try await withServer(endpoints) { _, bound in
            #expect(bound.map(\.address) == endpoints.map(\.address))
            for endpoint in bound {
                let client = TestClient(transport: try RPCClient(address: endpoint.address, layout: .lp64))
                #expect(try await client.add(40, 2) == 42, "\(endpoint)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: path), "the server removed a socket file it did not make")
    }
}
