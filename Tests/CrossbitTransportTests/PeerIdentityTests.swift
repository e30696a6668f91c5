import CrossbitCore
import CrossbitTestSupport
import Glibc
import Synchronization
import Testing

@testable import CrossbitTransport

/// A call's ``RPCCallContext/peer`` is what the kernel says of the caller,
/// whatever AUTH_SYS credentials it wrote.
@Suite("Peer identity", .timeLimit(.minutes(1)))
struct PeerIdentityTests {
    /// Wraps the test service and keeps the peer of every call.
    final class PeerRecorder: RPCServiceDispatcher {
        let wrapped = TestService()
        let peers = Mutex<[RPCPeer]>([])
        var program: UInt32 { wrapped.program }
        var version: UInt32 { wrapped.version }

        func dispatch(procedure: UInt32, arguments: [UInt8], context: RPCCallContext) async throws(RPCError) -> [UInt8]
        {
            peers.withLock { $0.append(context.peer) }
            return try await wrapped.dispatch(procedure: procedure, arguments: arguments, context: context)
        }
    }

    @Test("unix sockets: SO_PEERCRED's uid, gid and pid, not the AUTH_SYS uid the client wrote")
    func unixPeer() async throws {
        let recorder = PeerRecorder()
        try await withServer([ServerEndpoint(.loopback("unix"), layout: .lp64)], services: [recorder]) { _, bound in
            let forged = UnixCredentials(machineName: "forged", uid: 4242, gid: 4242)
            let transport = try RPCClient(
                address: bound[0].address, layout: .lp64, options: .init(credentials: .unix(forged)))
            try await TestClient(transport: transport).sleep(milliseconds: 0)
        }
        let expected = PeerCredentials(uid: getuid(), gid: getgid(), pid: getpid())
        #expect(recorder.peers.withLock { $0 } == [.local(expected)])
    }

    @Test("TCP and UDP: the source address", arguments: ["tcp", "udp"])
    func networkPeer(transport: String) async throws {
        let recorder = PeerRecorder()
        try await withServer([ServerEndpoint(.loopback(transport), layout: .lp64)], services: [recorder]) { _, bound in
            try await TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
                .sleep(milliseconds: 0)
        }
        let peers = recorder.peers.withLock { $0 }
        #expect(peers.count == 1)
        #expect(peers.first?.address == IPAddress("127.0.0.1"))
        if case .network(_, let port) = peers.first { #expect(port != 0) }
    }

    @Test("an endpoint's allow-from: a caller outside it gets AUTH_TOOWEAK as the typed error and reaches no service")
    func endpointAccess() async throws {
        let recorder = PeerRecorder()
        let outside = ServerEndpoint(
            .loopback("tcp"), layout: .lp64, access: PeerAccess(networks: [IPNetwork("10.0.0.0/8")!]))
        let inside = ServerEndpoint(
            .loopback("udp"), layout: .lp64, access: PeerAccess(networks: [IPNetwork("127.0.0.0/8")!]))
        try await withServer([outside, inside], services: [recorder]) { server, bound in
            let refused = TestClient(transport: try RPCClient(address: bound[0].address, layout: .lp64))
            let error = await #expect(throws: RPCError.self) { try await refused.sleep(milliseconds: 0) }
            #expect(error?.code == .authenticationError)
            #expect(server.deniedCallCount == 1)
            try await TestClient(transport: try RPCClient(address: bound[1].address, layout: .lp64)).sleep(
                milliseconds: 0)
        }
        #expect(recorder.peers.withLock { $0.count } == 1)
    }

    @Test("a unix socket gets its mode and group before it listens", arguments: [UInt16(0o600), 0o660, 0o666])
    func socketPermissions(mode: UInt16) async throws {
        let endpoint = ServerEndpoint(
            .loopback("unix"), layout: .lp64, socketPermissions: .init(mode: mode, group: getgid()))
        try await withServer([endpoint]) { _, bound in
            guard case .unix(let path) = bound[0].transport else {
                Issue.record("not a unix endpoint")
                return
            }
            var status = stat()
            #expect(stat(path, &status) == 0)
            #expect(status.st_mode & 0o777 == mode_t(mode))
            #expect(status.st_gid == getgid())
        }
    }
}
