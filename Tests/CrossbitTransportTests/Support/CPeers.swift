import CrossbitCore
import Foundation

/// rpcgen-built C peers of `cbtest.x`, compiled once per layout and test
/// run: `gcc -m32` (a real i386 ELF) for ILP32, `gcc -m64` for LP64.
actor CPeers {
    struct Build: Sendable {
        var server: String
        var client: String
    }

    static let shared = CPeers()
    private var builds: [WireLayout: Task<Build, any Error>] = [:]

    func build(_ layout: WireLayout) async throws -> Build {
        if let build = builds[layout] { return try await build.value }
        let task = Task { try await Self.compile(layout) }
        builds[layout] = task
        return try await task.value
    }

    private static func compile(_ layout: WireLayout) async throws -> Build {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crossbit-transport-\(getpid())-\(layout)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = ["cbtest.x": CPeerSources.interface, "server.c": CPeerSources.server, "client.c": CPeerSources.client]
        for (name, text) in files { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }
        let defines = layout == .lp64 ? ["-DCB_LP64"] : []
        for (flag, output) in [("-h", "cbtest.h"), ("-c", "cbtest_xdr.c"), ("-l", "cbtest_clnt.c"), ("-m", "cbtest_svc.c")] {
            try await runTool("/usr/bin/rpcgen", defines + [flag, "-o", "\(directory)/\(output)", "\(directory)/cbtest.x"])
        }
        let gcc = [layout == .lp64 ? "-m64" : "-m32", "-w", "-I/usr/include/tirpc", "-I\(directory)"] + defines
        let build = Build(server: "\(directory)/server", client: "\(directory)/client")
        try await runTool("/usr/bin/gcc", gcc + ["-o", build.server] + ["server.c", "cbtest_svc.c", "cbtest_xdr.c"].map { "\(directory)/\($0)" } + ["-ltirpc"])
        try await runTool("/usr/bin/gcc", gcc + ["-o", build.client] + ["client.c", "cbtest_clnt.c", "cbtest_xdr.c"].map { "\(directory)/\($0)" } + ["-ltirpc"])
        return build
    }

    /// The ELF class (1 = 32-bit, 2 = 64-bit) and machine (3 = i386, 62 = x86-64) of an executable.
    static func elfClassAndMachine(_ path: String) throws -> (UInt8, UInt16) {
        let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20))
        guard header.count == 20, header.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            throw ProcessFailure(description: "\(path) is not an ELF file")
        }
        return (header[4], UInt16(header[18]) | UInt16(header[19]) << 8)
    }
}
