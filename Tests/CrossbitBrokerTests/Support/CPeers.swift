import CrossbitCore
import CrossbitTestSupport
import FoundationEssentials

/// The 32-bit C client and server of the sample interface (``CSampleSources``),
/// built once per test run: `crossbit-idl rpcl --layout ilp32`, `rpcgen -N`, `gcc -m32`.
enum CSamplePeers {
    static func peers() async throws -> CPeers.Build {
        try await CPeers.shared.build("broker-sample-ilp32") {
            let directory = try Paths.temporaryDirectory("c-sample").path
            let interface = try await runTool(try Paths.product("crossbit-idl"), ["rpcl", "--layout", "ilp32", Paths.sampleIDL]).output
            try interface.write(toFile: "\(directory)/sample.x", atomically: true, encoding: .utf8)
            return try await RPCGen.buildPeers(
                "sample", in: directory, layout: .ilp32, rpcgenFlags: ["-N"],
                server: CSampleSources.server, client: CSampleSources.client)
        }
    }
}
