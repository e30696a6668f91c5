import CrossbitCore
import Testing

/// A generated client calls a generated dispatcher through the loopback
/// transport, in each layout.
@Suite struct ServiceTests {
    typealias E = XdrEverything

    struct Failure: Error {}

    struct Service: E.XdrEverythingV1Service {
        func null(context: RPCCallContext) async throws {}
        func echo(_ argument: E.EvEverything, context: RPCCallContext) async throws -> E.EvEverything { argument }
        func scalars(_ argument: E.EvScalars, context: RPCCallContext) async throws -> E.EvScalars { argument }
        func widths(_ argument: E.EvWidths, context: RPCCallContext) async throws -> E.EvWidths {
            var result = argument
            result.size = argument.size &* 2
            return result
        }
        func union(_ argument: E.EvIntUnion, context: RPCCallContext) async throws -> E.EvIntUnion { argument }
        func list(_ argument: E.EvList, context: RPCCallContext) async throws -> E.EvList { argument }
        func bool(_ argument: Bool, context: RPCCallContext) async throws -> Bool {
            guard argument else { throw Failure() }
            return argument
        }
        func string(_ argument: String, context: RPCCallContext) async throws -> String {
            argument + " from \(context.layout)"
        }
        func sum(
            _ argument1: Int64, _ argument2: Int32, _ argument3: UInt, _ argument4: Int, context: RPCCallContext
        )
            async throws -> Int64
        {
            argument1 + Int64(argument2) + Int64(argument3) + Int64(argument4)
        }
        func optional(_ argument: E.EvOptionalWidths, context: RPCCallContext) async throws -> E.EvOptionalWidths {
            argument
        }
    }

    func client(
        _ layout: WireLayout
    ) -> E.XdrEverythingV1Client<LoopbackTransport<E.XdrEverythingV1Dispatcher<Service>>> {
        E.XdrEverythingV1Client(
            transport: LoopbackTransport(layout: layout, dispatcher: E.XdrEverythingV1Dispatcher(service: Service())))
    }

    @Test(arguments: WireLayout.allCases)
    func callsRoundTrip(layout: WireLayout) async throws {
        let client = client(layout)
        try await client.null()
        #expect(try await client.echo(InteropTests.expected) == InteropTests.expected)
        #expect(try await client.sum(1, 2, 3, -4) == 2)
        #expect(try await client.string("hello") == "hello from \(layout)")
        #expect(try await client.optional(nil) == nil)
        #expect(try await client.optional(InteropTests.widths2) == InteropTests.widths2)
        #expect(try await client.bool(true))
    }

    @Test func clientsTakeATransportChosenAtRunTime() async throws {
        let transports: [any RPCClientTransport] = WireLayout.allCases.map { layout in
            LoopbackTransport(layout: layout, dispatcher: E.XdrEverythingV1Dispatcher(service: Service()))
        }
        for transport in transports {
            let client = E.XdrEverythingV1Client(transport: AnyRPCClientTransport(transport))
            #expect(try await client.string("hi") == "hi from \(transport.layout)")
        }
    }

    @Test func loopbackChecksProgramAndVersion() async throws {
        let v1 = LoopbackTransport(layout: .lp64, dispatcher: E.XdrEverythingV1Dispatcher(service: Service()))
        let error = await #expect(throws: RPCError.self) { try await E.XdrEverythingV2Client(transport: v1).null() }
        #expect(error?.code == .programMismatch)
    }

    @Test func narrowingFailuresAreTypedOnBothSides() async throws {
        let client = client(.ilp32)
        var widths = InteropTests.widths1
        widths.ssize = Int(Int32.max) + 1
        let argument = await #expect(throws: RPCError.self) { try await client.widths(widths) }
        #expect(argument?.code == .narrowingOverflow)
        #expect(argument?.message.contains("argument.ssize") == true)

        // 0xFFFFFFF0 * 2 no longer fits an ILP32 size_t: the server's reply cannot be encoded.
        let result = await #expect(throws: RPCError.self) { try await client.widths(InteropTests.widths1) }
        #expect(result?.code == .systemError)
        #expect(result?.message.contains("result.size") == true)
        #expect(try await self.client(.lp64).widths(InteropTests.widths1).size == 0x1_FFFF_FFE0)
    }

    @Test func dispatcherReportsRPCErrors() async throws {
        let dispatcher = E.XdrEverythingV1Dispatcher(service: Service())
        let context = RPCCallContext(layout: .lp64)
        let unknown = await #expect(throws: RPCError.self) {
            try await dispatcher.dispatch(procedure: 99, arguments: [], context: context)
        }
        #expect(unknown?.code == .procedureUnavailable)
        let garbage = await #expect(throws: RPCError.self) {
            try await dispatcher.dispatch(procedure: 2, arguments: [0, 0, 0], context: context)
        }
        #expect(garbage?.code == .garbageArguments)
        let failing = await #expect(throws: RPCError.self) { try await client(.lp64).bool(false) }
        #expect(failing?.code == .systemError)
        #expect(dispatcher.program == 0x2000_1002 && dispatcher.version == 1)
        #expect(E.XdrEverythingV1Client<LoopbackTransport<E.XdrEverythingV1Dispatcher<Service>>>.program == 0x2000_1002)
    }
}
