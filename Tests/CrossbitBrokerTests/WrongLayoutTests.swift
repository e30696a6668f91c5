import CrossbitBroker
import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// A client of the wrong layout is caught: the broker's endpoints say their
/// layout (BROKER_LAYOUT), an RPCClient can check it before calling, and
/// bytes that decode only in the other layout are named as the likely cause.
@Suite("wrong layouts caught", .serialized, .timeLimit(.minutes(3)))
struct WrongLayoutTests {
    /// A 64-bit rpcgen client of SAMPLE_ECHO_SIZE: `client HOST PORT` prints
    /// `result N` or the RPC error libtirpc reports.
    static let client64 = #"""
        #include "crossbit_sample.h"
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <arpa/inet.h>
        int main(int argc, char **argv) {
            struct sockaddr_in sin; memset(&sin, 0, sizeof sin);
            sin.sin_family = AF_INET; sin.sin_port = htons(atoi(argv[2]));
            inet_pton(AF_INET, argv[1], &sin.sin_addr);
            int sock = RPC_ANYSOCK;
            CLIENT *c = clnttcp_create(&sin, CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, &sock, 0, 0);
            if (c == NULL) { clnt_pcreateerror("client"); return 2; }
            u_quad_t *r = sample_echo_size_1(5, c);
            if (r == NULL) { printf("%s\n", clnt_sperror(c, "echo_size")); return 1; }
            printf("result %llu\n", (unsigned long long)*r);
            return 0;
        }
        """#

    /// The rpcgen client above, built with the LP64 sample peers' stubs (`gcc -m64`).
    static func buildClient64() async throws -> String {
        let peers = try await CPeers.shared.build(.lp64, .sample)
        let directory = URL(fileURLWithPath: peers.client).deletingLastPathComponent().path
        try client64.write(toFile: "\(directory)/wrong_layout.c", atomically: true, encoding: .utf8)
        let output = "\(directory)/wrong_layout"
        try await RPCGen.compile(
            ["wrong_layout.c", "crossbit_sample_clnt.c", "crossbit_sample_xdr.c"], layout: .lp64, in: directory,
            flags: ["-w"], output: output)
        return output
    }

    /// A broker with an ILP32 TCP endpoint (127.0.0.1) and an LP64 one (127.0.0.2), routing the sample
    /// program to a 64-bit Swift server.
    func withSampleBroker(_ body: (Daemon) async throws -> Void) async throws {
        let service = SampleService.dispatcher()
        try await withSwiftServer([service]) { (server: RPCAddress) async throws in
            try await withDaemon(
                [
                    "--idl", Paths.sampleIDL, "--listen", "ilp32=tcp://127.0.0.1:0", "--listen",
                    "lp64=tcp://127.0.0.2:0",
                    "--route", "CROSSBIT_SAMPLE:CROSSBIT_SAMPLE_V1=lp64@\(server)",
                ], body)
        }
    }

    @Test("a 64-bit rpcgen client on the broker's ILP32 endpoint gets GARBAGE_ARGS; the log names the mismatch")
    func rpcgenClientOnWrongEndpoint() async throws {
        let client = try await Self.buildClient64()
        try await withSampleBroker { daemon in
            let wrong = try await runTool(client, ["127.0.0.1", "\(daemon.port(.ilp32))"], expectSuccess: false)
            #expect(wrong.status == 1 && wrong.output == "echo_size: RPC: Server can't decode arguments\n", "\(wrong)")
            // The broker's log is read from its pipe: wait for the line rather than race it.
            _ = try await daemon.process.line(
                containing:
                    "arguments are not valid: GARBAGE_ARGS; they decode in the lp64 layout: "
                    + "this looks like an LP64 caller on an ILP32 endpoint")
            let right = try await runTool(client, ["127.0.0.2", "\(daemon.port(.lp64))"])
            #expect(right.output == "result 5\n")
        }
    }

    @Test("arguments of a route the broker does not convert (same layout) are checked too: the mismatch is named")
    func passedThroughArgumentsOnWrongEndpoint() async throws {
        try await withSampleBroker { daemon in
            let client = SampleClient(transport: try RPCClient(address: daemon.address(.lp64), layout: .ilp32))
            await #expect(throws: RPCError.self) { _ = try await client.echoSize(5) }
            _ = try await daemon.process.line(
                containing:
                    "arguments are not valid: GARBAGE_ARGS; they decode in the ilp32 layout: "
                    + "this looks like an ILP32 caller on an LP64 endpoint")
        }
    }

    @Test("RPCClient's checksEndpointLayout: a mismatch fails fast naming both layouts; a match calls")
    func clientChecksEndpointLayout() async throws {
        try await withSampleBroker { daemon in
            let address = daemon.address(.ilp32)
            let options = RPCClient.Options(defaultTimeout: .seconds(10), checksEndpointLayout: true)
            let wrong = SampleClient(transport: try RPCClient(address: address, layout: .lp64, options: options))
            do {
                _ = try await wrong.echoSize(5)
                Issue.record("a call from an LP64 client to an ILP32 endpoint went through")
            } catch let error as RPCError {
                #expect(error.code == .layoutMismatch)
                #expect(error.cause as? LayoutMismatch == LayoutMismatch(client: .lp64, endpoint: .ilp32))
                #expect(
                    error.message == "\(address) is an ilp32 endpoint, but this client speaks lp64: "
                        + "make the client with layout: .ilp32, or call the broker's lp64 endpoint")
            }
            let right = SampleClient(transport: try RPCClient(address: address, layout: .ilp32, options: options))
            #expect(try await right.echoSize(UInt(UInt32.max)) == UInt(UInt32.max))
            // The broker never saw the wrong client's arguments: the check came first.
            #expect(!daemon.log.contains("GARBAGE_ARGS"), "\(daemon.log)")
        }
    }

    @Test("crossbit call without --layout asks the broker endpoint its layout, on either endpoint")
    func callWithoutLayout() async throws {
        let crossbit = try Paths.product("crossbit")
        try await withSampleBroker { daemon in
            for layout in WireLayout.allCases {
                let result = try await runTool(
                    crossbit,
                    [
                        "call", "--idl", Paths.sampleIDL, "--compact", "\(daemon.address(layout))",
                        "CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.SAMPLE_ECHO_SIZE", "4294967295",
                    ])
                #expect(result.output == "4294967295\n", "\(layout): \(result)")
            }
            #expect(!daemon.log.contains("GARBAGE_ARGS"), "\(daemon.log)")
        }
    }

    @Test("crossbit call without --layout at a server that is not a broker says to give --layout")
    func callWithoutLayoutAtPlainServer() async throws {
        let crossbit = try Paths.product("crossbit")
        let service = SampleService.dispatcher()
        try await withSwiftServer([service]) { (server: RPCAddress) async throws in
            let result = try await runTool(
                crossbit,
                [
                    "call", "--idl", Paths.sampleIDL, "\(server)",
                    "CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.SAMPLE_ECHO_SIZE", "1",
                ], expectSuccess: false)
            #expect(result.status == 1)
            #expect(
                result.error == "crossbit: cannot ask \(server) for its layout (program unavailable: program "
                    + "536875008 is not served): give --layout ilp32 or --layout lp64 (only a Crossbit broker "
                    + "endpoint answers it)\n")
        }
    }
}

/// The client side of a wrong layout, without sockets: a transport that
/// answers every call with the bytes of an ILP32 `size_t` 5.
@Suite struct WrongLayoutReplyTests {
    struct FixedReply: RPCClientTransport {
        let layout: WireLayout
        nonisolated(nonsending) func call(
            _ procedure: ProcedureID, arguments: [UInt8], options: CallOptions
        ) async throws(RPCError) -> [UInt8] { [0, 0, 0, 5] }
    }

    @Test("a reply that decodes only in the other layout names the likely mismatch")
    func replyInOtherLayout() async throws {
        let client = Sample.CrossbitSampleV1Client(transport: FixedReply(layout: .lp64))
        do {
            _ = try await client.echoSize(5)
            Issue.record("an ILP32 reply decoded as LP64")
        } catch {
            #expect(error.code == .decodingFailed)
            #expect(
                error.message == "SAMPLE_ECHO_SIZE result: truncated data: needed 8 bytes, 4 left (at byte 0); "
                    + "it decodes in the ilp32 layout: this looks like an LP64 caller on an ILP32 endpoint")
        }
    }

    @Test("arguments that decode only in the other layout: GARBAGE_ARGS names the likely mismatch")
    func argumentsInOtherLayout() async throws {
        let dispatcher = SampleService.dispatcher()
        var writer = XDRWriter(layout: .lp64)
        writer.writeUInt64(5)  // an LP64 size_t
        do {
            _ = try await dispatcher.dispatch(
                procedure: 1, arguments: writer.finish(), context: RPCCallContext(layout: .ilp32))
            Issue.record("LP64 arguments decoded on an ILP32 endpoint")
        } catch {
            #expect(error.code == .garbageArguments)
            #expect(
                error.message == "SAMPLE_ECHO_SIZE arguments: 4 bytes left over after the value (at byte 4); "
                    + "they decode in the lp64 layout: this looks like an LP64 caller on an ILP32 endpoint")
        }
    }
}
