public import CrossbitCore
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
        try await build("\(interface)-\(layout)") { try await Self.compile(interface, layout) }
    }

    /// The peers `compile` builds, built once per `key` and test run.
    public func build(_ key: String, _ compile: @escaping @Sendable () async throws -> Build) async throws -> Build {
        if let build = builds[key] { return try await build.value }
        let task = Task { try await compile() }
        builds[key] = task
        return try await task.value
    }

    private static func compile(_ interface: Interface, _ layout: WireLayout) async throws -> Build {
        let directory = try Paths.temporaryDirectory("peers-\(interface)-\(layout)").path
        switch interface {
        case .test:
            let defines = layout == .lp64 ? ["-DCB_LP64"] : []
            try CPeerSources.interface.write(toFile: "\(directory)/cbtest.x", atomically: true, encoding: .utf8)
            return try await RPCGen.buildPeers(
                "cbtest", in: directory, layout: layout, rpcgenFlags: defines, defines: defines,
                server: CPeerSources.server, client: CPeerSources.client)
        case .sample:
            let lowered = try await runTool(
                try Paths.product("crossbit-idl"), ["rpcl", "--layout", layout.rawValue, Paths.sampleIDL])
            try lowered.output.write(toFile: "\(directory)/crossbit_sample.x", atomically: true, encoding: .utf8)
            return try await RPCGen.buildPeers(
                "crossbit_sample", in: directory, layout: layout, rpcgenFlags: ["-N"],
                defines: layout == .lp64 ? ["-DSAMPLE_LP64"] : [],
                server: SamplePeerSources.server, client: SamplePeerSources.client)
        }
    }
}
