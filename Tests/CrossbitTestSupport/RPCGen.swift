public import CrossbitCore
import FoundationEssentials

/// rpcgen and gcc at test time: C peers of an RPC-language file, built as a
/// real i386 ELF (`gcc -m32`) for ILP32 and with `gcc -m64` for LP64.
public enum RPCGen {
    /// The gcc flag of a layout.
    static func gccFlag(_ layout: WireLayout) -> String { layout == .ilp32 ? "-m32" : "-m64" }

    /// The server stub rpcgen writes.
    public enum ServerStub: Sendable {
        /// `name_svc.c` without `main` (`-m`): the test's own `server.c` has one.
        case withoutMain
        /// rpcgen's default set, whose `name_svc.c` has a `main` for every
        /// transport (and which has no `name_xdr.c` for a file without types).
        case defaultSet
        /// `name_svc.c` with a `main` serving one transport (`-s TRANSPORT`).
        case main(transport: String)
    }

    /// Runs rpcgen with `flags` on `directory/name.x`, writing `name.h`,
    /// `name_xdr.c`, `name_clnt.c` and `name_svc.c` as `server` says.
    public static func generate(
        _ name: String, in directory: String, flags: [String] = [], server: ServerStub = .withoutMain
    )
        async throws
    {
        let serverFlags: [String]
        switch server {
        case .defaultSet:
            try await runTool("/usr/bin/rpcgen", flags + ["\(name).x"], in: directory)
            return
        case .withoutMain: serverFlags = ["-m"]
        case .main(let transport): serverFlags = ["-s", transport]
        }
        for (flag, output) in [
            (["-h"], "\(name).h"), (["-c"], "\(name)_xdr.c"), (["-l"], "\(name)_clnt.c"),
            (serverFlags, "\(name)_svc.c"),
        ] {
            try await runTool(
                "/usr/bin/rpcgen", flags + flag + ["-o", "\(directory)/\(output)", "\(directory)/\(name).x"])
        }
    }

    /// Compiles C `files` (relative to `directory`, which is also on the
    /// include path, as is libtirpc's) for `layout` with gcc `flags`: linked
    /// with libtirpc into `output`, or to objects when `output` is nil.
    public static func compile(
        _ files: [String], layout: WireLayout, in directory: String, flags: [String] = [], output: String? = nil
    ) async throws {
        let target = output.map { ["-o", $0] } ?? ["-c"]
        let libraries = output == nil ? [] : ["-ltirpc"]
        try await runTool(
            "/usr/bin/gcc",
            [gccFlag(layout)] + flags + ["-I/usr/include/tirpc", "-I\(directory)"] + target + files + libraries,
            in: directory)
    }

    /// Builds a C server and client of `directory/name.x` from their sources:
    /// rpcgen's stubs and XDR routines, compiled for `layout` with `defines`.
    public static func buildPeers(
        _ name: String, in directory: String, layout: WireLayout, rpcgenFlags: [String], defines: [String] = [],
        server: String, client: String
    ) async throws -> CPeers.Build {
        try server.write(toFile: "\(directory)/server.c", atomically: true, encoding: .utf8)
        try client.write(toFile: "\(directory)/client.c", atomically: true, encoding: .utf8)
        try await generate(name, in: directory, flags: rpcgenFlags)
        let build = CPeers.Build(server: "\(directory)/server", client: "\(directory)/client")
        for (output, parts) in [
            (build.server, ["server.c", "\(name)_svc.c"]), (build.client, ["client.c", "\(name)_clnt.c"]),
        ] {
            try await compile(
                parts + ["\(name)_xdr.c"], layout: layout, in: directory, flags: ["-w"] + defines, output: output)
        }
        return build
    }
}
