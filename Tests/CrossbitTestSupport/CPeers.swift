import CrossbitCore
import Foundation

/// rpcgen-built C peers, compiled once per interface, layout and test run:
/// `gcc -m32` (a real i386 ELF) for ILP32, `gcc -m64` for LP64.
public actor CPeers {
    public struct Build: Sendable {
        public var server: String
        public var client: String
    }

    public enum Interface: String, Sendable {
        /// `cbtest.x` of ``CPeerSources``.
        case test
        /// `IDL/crossbit_sample.x`, lowered by `crossbit-idl rpcl`.
        case sample
    }

    public static let shared = CPeers()
    private var builds: [String: Task<Build, any Error>] = [:]

    public func build(_ layout: WireLayout, _ interface: Interface = .test) async throws -> Build {
        let key = "\(interface)-\(layout)"
        if let build = builds[key] { return try await build.value }
        let task = Task { try await Self.compile(interface, layout) }
        builds[key] = task
        return try await task.value
    }

    /// The repository's root, found from this file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `crossbit-idl`, built beside the test bundle.
    public static func crossbitIDL() throws -> String { try builtExecutable("crossbit-idl") }

    /// An executable product of the package (`crossbit`, `crossbitd`, …), built beside the test bundle.
    public static func builtExecutable(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ProcessFailure(description: "\(name) is not built at \(path): build with `swift build --build-tests`")
        }
        return path
    }

    private static func compile(_ interface: Interface, _ layout: WireLayout) async throws -> Build {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crossbit-transport-\(getpid())-\(interface)-\(layout)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name: String, rpcgenFlags: [String], defines: [String], sources: (server: String, client: String)
        switch interface {
        case .test:
            name = "cbtest"
            defines = layout == .lp64 ? ["-DCB_LP64"] : []
            rpcgenFlags = defines
            sources = (CPeerSources.server, CPeerSources.client)
            try CPeerSources.interface.write(toFile: "\(directory)/cbtest.x", atomically: true, encoding: .utf8)
        case .sample:
            name = "crossbit_sample"
            defines = layout == .lp64 ? ["-DSAMPLE_LP64"] : []
            rpcgenFlags = ["-N"]
            sources = (SamplePeerSources.server, SamplePeerSources.client)
            let lowered = try await runTool(
                try crossbitIDL(), ["rpcl", "--layout", layout.rawValue, "\(repositoryRoot)/IDL/crossbit_sample.x"])
            try lowered.output.write(toFile: "\(directory)/crossbit_sample.x", atomically: true, encoding: .utf8)
        }
        try sources.server.write(toFile: "\(directory)/server.c", atomically: true, encoding: .utf8)
        try sources.client.write(toFile: "\(directory)/client.c", atomically: true, encoding: .utf8)
        for (flag, output) in [("-h", "\(name).h"), ("-c", "\(name)_xdr.c"), ("-l", "\(name)_clnt.c"), ("-m", "\(name)_svc.c")] {
            try await runTool("/usr/bin/rpcgen", rpcgenFlags + [flag, "-o", "\(directory)/\(output)", "\(directory)/\(name).x"])
        }
        let gcc = [layout == .lp64 ? "-m64" : "-m32", "-w", "-I/usr/include/tirpc", "-I\(directory)"] + defines
        let build = Build(server: "\(directory)/server", client: "\(directory)/client")
        for (output, parts) in [(build.server, ["server.c", "\(name)_svc.c"]), (build.client, ["client.c", "\(name)_clnt.c"])] {
            let files = (parts + ["\(name)_xdr.c"]).map { "\(directory)/\($0)" }
            try await runTool("/usr/bin/gcc", gcc + ["-o", output] + files + ["-ltirpc"])
        }
        return build
    }

    /// The ELF class (1 = 32-bit, 2 = 64-bit) and machine (3 = i386, 62 = x86-64) of an executable.
    public static func elfClassAndMachine(_ path: String) throws -> (UInt8, UInt16) {
        let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20))
        guard header.count == 20, header.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            throw ProcessFailure(description: "\(path) is not an ELF file")
        }
        return (header[4], UInt16(header[18]) | UInt16(header[19]) << 8)
    }
}
