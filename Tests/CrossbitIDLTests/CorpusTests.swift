import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// Debian's rpcsvc-proto `.x` files, read from the system at test time.
enum RPCSVCCorpus {
    static let folder = "/usr/include/rpcsvc"

    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".x") }.sorted()
    }
}

@Suite("rpcsvc corpus")
struct CorpusTests {
    @Test("finds Debian's 17 rpcsvc .x files")
    func corpusIsPresent() {
        #expect(RPCSVCCorpus.files.count == 17, "found \(RPCSVCCorpus.files)")
    }

    @Test("checks clean", arguments: RPCSVCCorpus.files)
    func checksClean(name: String) throws {
        let module: IDLModule
        do {
            module = try IDLFrontEnd.load(path: "\(RPCSVCCorpus.folder)/\(name)")
        } catch {
            Issue.record("\(name) has errors:\n\(error)")
            return
        }
        #expect(!module.specification.definitions.isEmpty)
        // Only nis_object.x (and nis.x, which includes it) give two names to one enum value.
        #expect(module.warnings.allSatisfy { $0.message.contains("is an alias of") })
    }

    /// rpcgen accepts the RPC language printed from each file, and where it
    /// accepts the original too, it writes the same header and XDR C for both
    /// (comments, blank lines and include guards aside).
    @Test("rpcl output gives the same rpcgen C as the original", arguments: RPCSVCCorpus.files)
    func rpclMatchesOriginal(name: String) async throws {
        let original = "\(RPCSVCCorpus.folder)/\(name)"
        let module = try IDLFrontEnd.load(path: original)
        let directory = try Paths.temporaryDirectory("rpcsvc")
        defer { try? FileManager.default.removeItem(at: directory) }
        try RPCLPrinter.print(module, layout: .lp64).write(
            to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        for flag in ["-h", "-c"] {
            let printed = try await runTool(
                "rpcgen", [flag, "-o", "printed\(flag)", name], in: directory.path, expectSuccess: false)
            #expect(printed.status == 0, "\(printed)")
            // Debian's rpcgen rejects nis.x itself (a `%` line continued with backslashes).
            let reference = try await runTool(
                "rpcgen", [flag, "-o", "original\(flag)", original], in: directory.path, expectSuccess: false)
            guard reference.status == 0 else { continue }
            let mine = try Self.significantLines(directory.appendingPathComponent("printed\(flag)"))
            let theirs = try Self.significantLines(directory.appendingPathComponent("original\(flag)"))
            #expect(mine == theirs, "rpcgen \(flag) output differs")
        }
    }

    private static func significantLines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init).filter { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            return !text.isEmpty && !line.hasPrefix("/*") && !line.hasPrefix(" *") && !line.contains("_RPCGEN")
                && !line.hasPrefix("#include \"")
        }
    }
}
