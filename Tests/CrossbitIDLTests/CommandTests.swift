import CrossbitCodeGen
import CrossbitIDL
import Foundation
import Testing

/// The `crossbit-idl` executable, when the build has produced it.
@Suite("crossbit-idl", .enabled(if: Tools.crossbitIDL != nil))
struct CommandTests {
    private var tool: String { Tools.crossbitIDL?.path ?? "" }
    private var sample: String { Tools.repositoryRoot.appendingPathComponent("IDL/crossbit_sample.x").path }

    @Test("check: exit 0 on good files, 1 with diagnostics when any file is bad")
    func check() throws {
        let good = try Tools.run(tool, ["check"] + Tools.projectIDLFiles.map(\.path))
        #expect(good.status == 0, "\(good)")
        #expect(good.stderr.isEmpty)
        let folder = try #require(BadInputs.folder)
        let bad = try Tools.run(tool, ["check", sample, "undefined_type.x"], in: folder)
        #expect(bad.status == 1)
        #expect(bad.stderr == "undefined_type.x:2:12: error: undefined type 'missing_t'\n")
    }

    @Test("layout --json: sizes per layout or \"variable\", and paths")
    func layoutJSON() throws {
        let output = try Tools.run(tool, ["layout", "--json", sample])
        #expect(output.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let types = try #require(json["types"] as? [[String: Any]])
        let widths = try #require(types.first { $0["name"] as? String == "sample_widths" })
        let size = try #require(widths["size"] as? [String: Any])
        #expect(size["ilp32"] as? Int == 44)
        #expect(size["lp64"] as? Int == 76)
        let batch = try #require(types.first { $0["name"] as? String == "sample_batch" })
        #expect((batch["size"] as? [String: Any])?["lp64"] as? String == "variable")
        #expect((batch["widthDependentPaths"] as? [String])?.contains("resources[].handle") == true)
        let procedures = try #require(json["procedures"] as? [[String: Any]])
        let add = try #require(procedures.first { $0["name"] as? String == "SAMPLE_ADD" })
        #expect(add["widthDependent"] as? Bool == false)
    }

    @Test("layout: a readable table")
    func layoutTable() throws {
        let output = try Tools.run(tool, ["layout", sample])
        #expect(output.status == 0)
        #expect(output.stdout.hasPrefix("TYPE"))
        #expect(output.stdout.contains("sample_widths    struct   44        76        size, offset"))
    }

    @Test("rpcl prints what the library prints, to stdout or a file")
    func rpcl() throws {
        let module = try IDLFrontEnd.load(path: sample)
        let stdout = try Tools.run(tool, ["rpcl", "--layout", "ilp32", sample])
        #expect(stdout.status == 0)
        #expect(stdout.stdout == RPCLPrinter.print(module, layout: .ilp32))
        let directory = try Tools.temporaryDirectory(prefix: "rpcl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.x").path
        let written = try Tools.run(tool, ["rpcl", "--layout", "lp64", "-o", file, sample])
        #expect(written.status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == RPCLPrinter.print(module, layout: .lp64))
        let badLayout = try Tools.run(tool, ["rpcl", "--layout", "lp32", sample])
        #expect(badLayout.status != 0)
    }
}
