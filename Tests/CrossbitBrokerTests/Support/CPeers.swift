import Foundation

/// The 32-bit C client and server of the sample interface, built once per
/// test run: `crossbit-idl rpcl --layout ilp32`, `rpcgen -N`, `gcc -m32`.
actor CSamplePeers {
    struct Build: Sendable {
        var client: String
        var server: String
    }

    static let shared = CSamplePeers()
    private var build: Task<Build, any Error>?

    func peers() async throws -> Build {
        if let build { return try await build.value }
        let task = Task { try await Self.compile() }
        build = task
        return try await task.value
    }

    private static func compile() async throws -> Build {
        let directory = try Paths.temporaryDirectory("c-sample")
        let interface = try await run(Paths.crossbitIDL, ["rpcl", "--layout", "ilp32", Paths.sampleIDL]).output
        let files = ["sample.x": interface, "client.c": CSampleSources.client, "server.c": CSampleSources.server]
        for (name, text) in files { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }
        for (flag, output) in [("-h", "sample.h"), ("-c", "sample_xdr.c"), ("-l", "sample_clnt.c"), ("-m", "sample_svc.c")] {
            try await run("/usr/bin/rpcgen", ["-N", flag, "-o", "\(directory)/\(output)", "\(directory)/sample.x"])
        }
        let gcc = ["-m32", "-w", "-I/usr/include/tirpc", "-I\(directory)"]
        let build = Build(client: "\(directory)/client", server: "\(directory)/server")
        try await run("/usr/bin/gcc", gcc + ["-o", build.client] + ["client.c", "sample_clnt.c", "sample_xdr.c"].map { "\(directory)/\($0)" } + ["-ltirpc"])
        try await run("/usr/bin/gcc", gcc + ["-o", build.server] + ["server.c", "sample_svc.c", "sample_xdr.c"].map { "\(directory)/\($0)" } + ["-ltirpc"])
        return build
    }
}
