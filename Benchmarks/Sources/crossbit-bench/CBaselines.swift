import Foundation

/// The rpcgen-built C programs of Benchmarks/C, compiled from the same IDL
/// (`crossbit-idl rpcl --layout L`, `rpcgen -N`, `gcc -O2`) into a
/// temporary folder.
struct CBaselines {
    /// A server and a client for one layout and word size.
    struct Peers {
        var server: String
        var client: String
    }

    /// The 64-bit codec programs (`bench_codec`) of the LP64 and the ILP32 lowering.
    let lp64Codec: String
    let ilp32Codec: String
    /// 64-bit peers from the LP64 lowering (the direct C↔C rows).
    let lp64: Peers
    /// 32-bit (`-m32`) peers from the ILP32 lowering (the broker rows).
    let ilp32: Peers
    /// A TCP relay with no RPC parsing (`bench_relay.c`): the floor of any broker.
    let relay: String

    static func build(repository: String, crossbitIDL: String, into directory: String) async throws -> CBaselines {
        let idl = repository + "/Benchmarks/IDL/crossbit_bench.x"
        let sources = repository + "/Benchmarks/C"
        func generate(_ layout: String) async throws -> String {
            let folder = "\(directory)/\(layout)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let rpcl = try await runTool(crossbitIDL, ["rpcl", "--layout", layout, idl])
            try rpcl.write(toFile: "\(folder)/crossbit_bench.x", atomically: true, encoding: .utf8)
            for (flag, output) in [
                ("-h", "crossbit_bench.h"), ("-c", "crossbit_bench_xdr.c"), ("-m", "crossbit_bench_svc.c"),
                ("-l", "crossbit_bench_clnt.c"),
            ] {
                try await runTool(
                    "/usr/bin/rpcgen", ["-N", flag, "-o", "\(folder)/\(output)", "\(folder)/crossbit_bench.x"])
            }
            return folder
        }
        let fingerprint = try await blockFingerprint(idl: idl, crossbitIDL: crossbitIDL)
        func compile(
            _ folder: String, _ output: String, _ files: [String], wide: String, bits: String
        ) async throws -> String {
            let path = "\(folder)/\(output)"
            let inputs = files.map {
                $0.hasSuffix("_xdr.c") || $0.hasSuffix("_svc.c") || $0.hasSuffix("_clnt.c")
                    ? "\(folder)/\($0)" : "\(sources)/\($0)"
            }
            let defines = ["-DWIDE_T=\(wide)", "-DBENCH_BLOCK_FINGERPRINT=\(fingerprint)ULL"]
            let includes = ["-I/usr/include/tirpc", "-I\(folder)", "-I\(sources)"]
            try await runTool(
                "/usr/bin/gcc", [bits, "-O2", "-w"] + defines + includes + ["-o", path] + inputs + ["-ltirpc"])
            return path
        }
        func peers(_ folder: String, wide: String, bits: String) async throws -> Peers {
            Peers(
                server: try await compile(
                    folder, "bench_server", ["bench_server.c", "crossbit_bench_svc.c", "crossbit_bench_xdr.c"],
                    wide: wide, bits: bits),
                client: try await compile(
                    folder, "bench_client", ["bench_client.c", "crossbit_bench_clnt.c", "crossbit_bench_xdr.c"],
                    wide: wide, bits: bits))
        }
        let lp64Folder = try await generate("lp64")
        let ilp32Folder = try await generate("ilp32")
        let codec = ["bench_codec.c", "crossbit_bench_xdr.c"]
        return CBaselines(
            lp64Codec: try await compile(lp64Folder, "bench_codec", codec, wide: "u_quad_t", bits: "-m64"),
            ilp32Codec: try await compile(ilp32Folder, "bench_codec", codec, wide: "u_int", bits: "-m64"),
            lp64: try await peers(lp64Folder, wide: "u_quad_t", bits: "-m64"),
            ilp32: try await peers(ilp32Folder, wide: "u_int", bits: "-m32"),
            relay: try await compile(directory, "bench_relay", ["bench_relay.c"], wide: "u_int", bits: "-m64"))
    }

    /// bench_block's fingerprint as `crossbit-idl cabi` prints it, for the C sides' region headers.
    private static func blockFingerprint(idl: String, crossbitIDL: String) async throws -> String {
        let text = try await runTool(crossbitIDL, ["cabi", "--layout", "ilp32", idl])
        let line = text.split(separator: "\n").first { $0.hasPrefix("struct bench_block ") }
        let words = line?.split(separator: " ") ?? []
        guard let index = words.firstIndex(of: "fingerprint"), index + 1 < words.count else {
            throw BenchFailure("crossbit-idl cabi printed no fingerprint for bench_block")
        }
        return String(words[index + 1])
    }
}
