import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
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

    @Test("rpcl output is accepted by rpcgen", arguments: RPCSVCCorpus.files)
    func rpclIsAcceptedByRPCGen(name: String) throws {
        let module = try IDLFrontEnd.load(path: "\(RPCSVCCorpus.folder)/\(name)")
        let directory = try Tools.temporaryDirectory(prefix: "rpcsvc")
        defer { try? FileManager.default.removeItem(at: directory) }
        try RPCLPrinter.print(module, layout: .lp64).write(
            to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        let output = try Tools.run("rpcgen", ["-h", "-o", "out.h", name], in: directory)
        #expect(output.status == 0, "\(output)")
    }
}
