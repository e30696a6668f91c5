import CrossbitCore
import CrossbitELF
import CrossbitTransport
import Foundation
import Testing

/// Swift and rpcgen-built C peers, 32-bit and 64-bit, each in its layout.
@Suite("Interoperability with rpcgen-built C peers", .timeLimit(.minutes(2)))
struct InteropTests {
    static let transports = ["tcp", "udp", "unix"]

    @Test("a 32-bit and a 64-bit C client call every procedure of a Swift server", arguments: transports)
    func cClientsCallSwiftServer(transport: String) async throws {
        let endpoints = WireLayout.allCases.map { ServerEndpoint(.loopback(transport), layout: $0) }
        try await withServer(endpoints) { _, bound in
            for endpoint in bound {
                let client = try await CPeers.shared.build(endpoint.layout).client
                let elf = try ELFHeader(contentsOf: client)
                #expect(elf.layout == endpoint.layout)
                #expect(elf.machineName == (endpoint.layout == .ilp32 ? "i386" : "x86-64"))
                let result = try await runTool(
                    client, endpoint.cClientArguments, timeout: .seconds(30), expectSuccess: false)
                #expect(result.status == 0, "\(endpoint): \(result.output)\(result.error)")
                #expect(result.output.hasSuffix("ALL PASSED\n"))
            }
        }
    }

    @Test("a Swift client calls every procedure of a C server", arguments: transports, WireLayout.allCases)
    func swiftClientCallsCServer(transport: String, layout: WireLayout) async throws {
        let server = try await CPeers.shared.build(layout).server
        let path = Paths.temporarySocket("c-server")
        defer { unlink(path) }
        let arguments = transport == "unix" ? ["unix", path] : [transport]
        try await withBackgroundProcess(server, arguments) { ready in
            let port = ready.split(separator: " ").last.map(String.init) ?? "?"
            let address = transport == "unix" ? "unix://\(path)" : "\(transport)://127.0.0.1:\(port)"
            let client = TestClient(transport: try RPCClient(address: address, layout: layout))
            try await client.exerciseEveryProcedure()
            #expect(try await client.whoami() == "none")
            let authenticated = TestClient(
                transport: try RPCClient(
                    address: address, layout: layout, options: .init(credentials: .currentProcess)))
            #expect(try await authenticated.whoami().hasPrefix("sys uid=\(getuid()) gid=\(getgid()) machine="))
        }
    }

    @Test("a Swift client calls every procedure of a Swift server", arguments: transports, WireLayout.allCases)
    func swiftClientCallsSwiftServer(transport: String, layout: WireLayout) async throws {
        try await withServer([ServerEndpoint(.loopback(transport), layout: layout)]) { _, bound in
            let client = TestClient(
                transport: try RPCClient(
                    address: bound[0].address, layout: layout, options: .init(credentials: .currentProcess)))
            try await client.exerciseEveryProcedure()
            #expect(try await client.whoami().hasPrefix("sys uid=\(getuid()) gid=\(getgid()) machine="))
        }
    }
}
