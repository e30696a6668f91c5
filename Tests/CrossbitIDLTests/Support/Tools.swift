import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation

/// The project's IDL files, and rpcgen + gcc over their RPC language.
enum Tools {
    /// Lowers an IDL file to RPC language for `layout`, runs `rpcgen -N` on it in
    /// `directory`, and compiles the XDR, client and server C with gcc for that
    /// layout (warnings are errors). Returns the base name of the generated files.
    @discardableResult
    static func rpcgenAndCompile(_ idl: URL, layout: WireLayout, in directory: URL) async throws -> String {
        let module = try IDLFrontEnd.load(path: idl.path)
        let name = idl.deletingPathExtension().lastPathComponent
        try RPCLPrinter.print(module, layout: layout).write(
            to: directory.appendingPathComponent("\(name).x"), atomically: true, encoding: .utf8)
        try await RPCGen.generate(name, in: directory.path, flags: ["-N"], server: .defaultSet)
        for part in ["xdr", "clnt", "svc"] {
            // rpcgen writes no XDR file for a file without types.
            let file = "\(name)_\(part).c"
            guard part != "xdr" || FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
            else {
                continue
            }
            try await RPCGen.compile(
                [file], layout: layout, in: directory.path, flags: ["-Wall", "-Werror", "-Wno-unused-variable"])
        }
        return name
    }

    /// Every `.x` file under the repository's IDL/ and Tests/ folders, except
    /// the deliberately broken ones of BadInputs/ and Debian's rpcsvc files
    /// linked for the fuzz corpus replay (CorpusTests covers those).
    static var projectIDLFiles: [URL] {
        ["IDL", "Tests"].flatMap { folder -> [URL] in
            let root = URL(fileURLWithPath: Paths.repositoryRoot).appendingPathComponent(folder)
            let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
            return paths.filter { $0.hasSuffix(".x") && !$0.contains("BadInputs/") && !$0.contains("rpcsvc/") }.sorted()
                .map { root.appendingPathComponent($0) }
        }
    }

    /// A path relative to the repository, for test names.
    static func relativePath(_ url: URL) -> String {
        String(url.path.dropFirst(Paths.repositoryRoot.count + 1))
    }
}
