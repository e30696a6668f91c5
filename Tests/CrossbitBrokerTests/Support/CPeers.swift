import CrossbitTestSupport

/// The 32-bit C client and server of the sample interface, built once per
/// test run: `crossbit-idl rpcl --layout ilp32`, `rpcgen -N`, `gcc -m32`.
actor CSamplePeers {
    static let shared = CSamplePeers()
    private var build: Task<CPeers.Build, any Error>?

    func peers() async throws -> CPeers.Build {
        if let build { return try await build.value }
        let task = Task { try await Self.compile() }
        build = task
        return try await task.value
    }

    private static func compile() async throws -> CPeers.Build {
        let directory = try Paths.temporaryDirectory("c-sample").path
        let interface = try await runTool(try Paths.product("crossbit-idl"), ["rpcl", "--layout", "ilp32", Paths.sampleIDL]).output
        try interface.write(toFile: "\(directory)/sample.x", atomically: true, encoding: .utf8)
        return try await RPCGen.buildPeers(
            "sample", in: directory, layout: .ilp32, rpcgenFlags: ["-N"],
            server: CSampleSources.server, client: CSampleSources.client)
    }
}
