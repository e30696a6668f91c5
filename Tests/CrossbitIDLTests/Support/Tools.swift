import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import Foundation

/// Small helpers to run real tools (rpcgen, gcc, the built crossbit-idl) from tests.
enum Tools {
    struct Output: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\n\(stdout)\n\(stderr)" }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root (this file is Tests/CrossbitIDLTests/Support/Tools.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a program (looked up on PATH unless absolute), capturing its output;
    /// kills it after `timeout` seconds.
    static func run(
        _ program: String, _ arguments: [String], in directory: URL? = nil, timeout: Double = 60
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
        if let directory { process.currentDirectoryURL = directory }
        let scratch = try temporaryDirectory(prefix: "run")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        let timedOut = done.wait(timeout: .now() + timeout) == .timedOut
        if timedOut {
            process.terminate()
            done.wait()
        }
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            timedOut: timedOut)
    }

    static func temporaryDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("crossbit-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The gcc flag for a layout.
    static func gccFlag(_ layout: WireLayout) -> String { layout == .ilp32 ? "-m32" : "-m64" }

    /// Lowers an IDL file to RPC language for `layout`, runs `rpcgen -N` on it in
    /// `directory`, and compiles the XDR, client and server C with gcc for that
    /// layout. Returns the base name of the generated files.
    @discardableResult
    static func rpcgenAndCompile(_ idl: URL, layout: WireLayout, in directory: URL) throws -> String {
        let module = try IDLFrontEnd.load(path: idl.path)
        let name = idl.deletingPathExtension().lastPathComponent
        try RPCLPrinter.print(module, layout: layout).write(
            to: directory.appendingPathComponent("\(name).x"), atomically: true, encoding: .utf8)
        let rpcgen = try run("rpcgen", ["-N", "\(name).x"], in: directory)
        guard rpcgen.status == 0 else { throw Failure(description: "rpcgen failed for \(name).x: \(rpcgen)") }
        for part in ["xdr", "clnt", "svc"] {
            // rpcgen writes no XDR file for a file without types.
            let file = directory.appendingPathComponent("\(name)_\(part).c")
            guard part != "xdr" || FileManager.default.fileExists(atPath: file.path) else { continue }
            let gcc = try run(
                "gcc",
                [gccFlag(layout), "-c", "-Wall", "-Werror", "-Wno-unused-variable", "-I/usr/include/tirpc",
                 "\(name)_\(part).c"],
                in: directory)
            guard gcc.status == 0 else {
                throw Failure(description: "gcc \(gccFlag(layout)) failed for \(name)_\(part).c: \(gcc)")
            }
        }
        return name
    }

    /// The built `crossbit-idl` executable beside the test bundle, if it was built.
    static var crossbitIDL: URL? {
        var directory = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<2 {
            let candidate = directory.appendingPathComponent("crossbit-idl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Every `.x` file under the repository's IDL/ and Tests/ folders, except
    /// the deliberately broken ones of BadInputs/.
    static var projectIDLFiles: [URL] {
        ["IDL", "Tests"].flatMap { folder -> [URL] in
            let root = repositoryRoot.appendingPathComponent(folder)
            let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
            return paths.filter { $0.hasSuffix(".x") && !$0.contains("BadInputs/") }.sorted()
                .map { root.appendingPathComponent($0) }
        }
    }

    /// A path relative to the repository, for test names.
    static func relativePath(_ url: URL) -> String {
        String(url.path.dropFirst(repositoryRoot.path.count + 1))
    }
}
