import CrossbitCore
import CrossbitTransport
import Foundation
import Testing

@Suite("rpcbind registration", .timeLimit(.minutes(1)))
struct RPCBindTests {
    /// Fails with a clear message when no rpcbind answers (`make test` starts one).
    func requireRPCBind() async throws {
        let probe = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"], expectSuccess: false)
        try #require(
            probe.status == 0,
            """
            rpcinfo cannot reach rpcbind on 127.0.0.1; run the tests through `make test` \
            (scripts/with-rpcbind.sh starts rpcbind): \(probe.error)
            """)
    }

    @Test("rpcinfo lists a registered Swift server and a Swift client reaches it through rpcbind://")
    func registerLookUpUnregister() async throws {
        try await requireRPCBind()
        let program: UInt32 = 0x2C0B_0100
        let endpoints: [ServerEndpoint] = [
            .tcp(host: "127.0.0.1", layout: .lp64, registerWithRPCBind: true),
            .udp(host: "127.0.0.1", layout: .lp64, registerWithRPCBind: true),
        ]
        try await withServer(endpoints, services: [TestService(program: program)]) { _, bound in
            guard case .tcp(_, let tcpPort) = bound[0].transport, case .udp(_, let udpPort) = bound[1].transport else {
                return
            }
            let listing = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).output
            let rows = listing.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(rows.contains(["\(program)", "1", "tcp", "\(tcpPort)"]), "\(listing)")
            #expect(rows.contains(["\(program)", "1", "udp", "\(udpPort)"]), "\(listing)")
            let ping = try await runTool("/usr/sbin/rpcinfo", ["-t", "127.0.0.1", "\(program)", "1"])
            #expect(ping.output.contains("ready and waiting"))
            let client = TestClient(
                transport: try RPCClient(address: "rpcbind://127.0.0.1", layout: .lp64), program: program)
            #expect(try await client.add(40, 2) == 42)
        }
        let listing = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).output
        #expect(!listing.contains(" \(program) "), "unregistered on shutdown: \(listing)")
        let client = try RPCClient(address: "rpcbind://127.0.0.1", layout: .lp64)
        await expectRPCError(.programUnavailable) { () throws(RPCError) in
            _ = try await client.call(
                ProcedureID(program: program, version: 1, procedure: 0), arguments: [], options: .defaults)
        }
    }

    /// Answers every call with its procedure number, as a broker's router would forward it.
    struct EchoRouter: RPCCallRouter {
        func route(
            _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext
        ) async throws(RPCError) -> [UInt8] {
            withUnsafeBytes(of: procedure.procedure.bigEndian, Array.init)
        }
    }

    @Test("a routed program registered on a bound endpoint is reachable through rpcbind and unregistered on shutdown")
    func routedRegistration() async throws {
        try await requireRPCBind()
        let program: UInt32 = 0x2C0B_0101
        let server = RPCServer(services: [], router: EchoRouter(), endpoints: [.tcp(host: "127.0.0.1", layout: .lp64)])
        async let running: Void = server.run()
        let bound = try await server.listeningEndpoints[0]
        try await server.registerWithRPCBind(program: program, version: 2, on: bound)
        let client = try RPCClient(address: "rpcbind://127.0.0.1", layout: .lp64)
        let result = try await client.call(
            ProcedureID(program: program, version: 2, procedure: 9), arguments: [], options: .defaults)
        #expect(result == [0, 0, 0, 9])
        server.shutdown()
        try await running
        let listing = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).output
        #expect(!listing.contains(" \(program) "), "unregistered on shutdown: \(listing)")
    }
}
