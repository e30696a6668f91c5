import Foundation

/// The soak's 32-bit C peers, built into a temporary folder from
/// Benchmarks/IDL/crossbit_soak.x lowered for ILP32 (`crossbit-idl rpcl`,
/// `rpcgen -N`, `gcc -m32`): rpcgen's client stubs and dispatch routines
/// around Benchmarks/C/soak_client.c and soak_server.c.
struct SoakCPeers {
    var client: String
    var server: String

    static func build(repository: String, crossbitIDL: String, into directory: String) async throws -> SoakCPeers {
        let sources = repository + "/Benchmarks/C"
        let folder = directory + "/c"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rpcl = try await runTool(
            crossbitIDL, ["rpcl", "--layout", "ilp32", repository + "/Benchmarks/IDL/crossbit_soak.x"])
        try rpcl.write(toFile: folder + "/crossbit_soak.x", atomically: true, encoding: .utf8)
        for (flag, output) in [("-h", "crossbit_soak.h"), ("-c", "xdr.c"), ("-m", "svc.c"), ("-l", "clnt.c")] {
            try await runTool(
                "/usr/bin/rpcgen", ["-N", flag, "-o", "\(folder)/\(output)", "\(folder)/crossbit_soak.x"])
        }
        func compile(_ name: String, _ stubs: String) async throws -> String {
            try await runTool(
                "/usr/bin/gcc",
                [
                    "-m32", "-O2", "-Wall", "-Wno-unused-variable", "-I/usr/include/tirpc", "-I\(folder)",
                    "-I\(sources)",
                    "-o", "\(folder)/\(name)", "\(sources)/\(name).c", "\(folder)/\(stubs)", "\(folder)/xdr.c",
                    "-ltirpc",
                ])
            return "\(folder)/\(name)"
        }
        return SoakCPeers(
            client: try await compile("soak_client", "clnt.c"), server: try await compile("soak_server", "svc.c"))
    }
}
