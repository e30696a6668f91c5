import CrossbitCore
import CrossbitELF
import CrossbitTransport
import Foundation
import Synchronization
import Testing

/// The sample interface (`IDL/crossbit_sample.x`) between Swift and
/// rpcgen-built C peers built from `crossbit-idl rpcl --layout` output.
@Suite("Sample interface across layouts", .timeLimit(.minutes(2)))
struct SampleInteropTests {
    @Test("a 32-bit C client on the ILP32 endpoint and a 64-bit one on the LP64 endpoint of one Swift server")
    func cClientsCallSwiftServer() async throws {
        let service = SampleService()
        let dispatcher = Sample.CrossbitSampleV1Dispatcher(service: service)
        let endpoints = [ServerEndpoint.tcp(host: "127.0.0.1", layout: .ilp32), .tcp(host: "127.0.0.1", layout: .lp64)]
        try await withServer(endpoints, services: [dispatcher]) { _, bound in
            for endpoint in bound {
                guard case .tcp(let host, let port) = endpoint.transport else { continue }
                let client = try await CPeers.shared.build(endpoint.layout, .sample).client
                #expect(try ELFHeader(contentsOf: client).layout == endpoint.layout)
                let result = try await runTool(client, [host, String(port)], expectSuccess: false)
                #expect(result.status == 0, "\(endpoint): \(result.output)\(result.error)")
                #expect(result.output.hasSuffix("ALL PASSED\n"))
            }
        }
        // What the Swift server decoded: 32-bit values widened, 64-bit ones as sent.
        let ilp32 = try #require(service.observations.widths[.ilp32])
        #expect(ilp32.size == 0xFFFF_FFFF)  // size_t zero-extends
        #expect(ilp32.handle == Handle(rawValue: .max))  // handle -1 sign-extends
        #expect(ilp32.offset == Int(Int32.min) && ilp32.delta == -1 && ilp32.when == Int(Int32.max))
        #expect(
            ilp32.address == 0xFFFF_FFFF && ilp32.legacyUnsigned == 0xFFFF_FFFF && ilp32.legacySigned == Int(Int32.min))
        #expect(service.observations.lastHandle[.ilp32] == Handle(rawValue: .max))
        let lp64 = try #require(service.observations.widths[.lp64])
        #expect(lp64 == SampleLimits(layout: .lp64).widths)
    }

    @Test("a Swift client calls every procedure of a 32-bit and a 64-bit C server", arguments: WireLayout.allCases)
    func swiftClientCallsCServer(layout: WireLayout) async throws {
        try await withBackgroundProcess(try await CPeers.shared.build(layout, .sample).server, []) { ready in
            let port = ready.split(separator: " ").last.map(String.init) ?? "0"
            let client = Sample.CrossbitSampleV1Client(
                transport: try RPCClient(address: "tcp://127.0.0.1:\(port)", layout: layout))
            try await client.exerciseEveryProcedure()
            if layout == .ilp32 {
                await expectRPCError(.narrowingOverflow) { () throws(RPCError) in
                    _ = try await client.echoSize(0x1_0000_0000)
                }
            }
        }
    }

    @Test(
        "a Swift client calls a Swift server of the sample interface, also from a task on the client's executor",
        arguments: WireLayout.allCases, [false, true])
    func swiftToSwift(layout: WireLayout, onClientExecutor: Bool) async throws {
        let dispatcher = SampleService.dispatcher()
        try await withServer([.tcp(host: "127.0.0.1", layout: layout)], services: [dispatcher]) { _, bound in
            let transport = try RPCClient(address: bound[0].address, layout: layout)
            let client = Sample.CrossbitSampleV1Client(transport: transport)
            if onClientExecutor {
                try await withTaskExecutorPreference(transport.executor) { try await client.exerciseEveryProcedure() }
            } else {
                try await client.exerciseEveryProcedure()
            }
        }
    }
}
