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

        func dispatch(procedure: UInt32, arguments: [UInt8], context: RPCCallContext) async throws(RPCError) -> [UInt8] {
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
}
