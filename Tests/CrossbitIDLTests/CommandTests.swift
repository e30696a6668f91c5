import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Synchronization
import Testing

/// The `crossbit-idl` executable, when the build has produced it.
@Suite("crossbit-idl", .enabled(if: Paths.builtProduct("crossbit-idl") != nil))
struct CommandTests {
    private var tool: String { Paths.builtProduct("crossbit-idl") ?? "" }
    private var sample: String { Paths.sampleIDL }

    @Test("check: exit 0 on good files, 1 with diagnostics when any file is bad")
    func check() async throws {
        let good = try await runTool(tool, ["check"] + Tools.projectIDLFiles.map(\.path), expectSuccess: false)
        #expect(good.status == 0, "\(good)")
        #expect(good.error.isEmpty)
        let folder = try #require(BadInputs.folder)
        let bad = try await runTool(tool, ["check", sample, "undefined_type.x"], in: folder.path, expectSuccess: false)
        #expect(bad.status == 1)
        #expect(bad.error == "undefined_type.x:2:12: error: undefined type 'missing_t'\n")
    }

    @Test("layout --json: sizes per layout or \"variable\", and paths")
    func layoutJSON() async throws {
        let output = try await runTool(tool, ["layout", "--json", sample], expectSuccess: false)
        #expect(output.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.output.utf8)) as? [String: Any])
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
    func layoutTable() async throws {
        let output = try await runTool(tool, ["layout", sample], expectSuccess: false)
        #expect(output.status == 0)
        #expect(output.output.hasPrefix("TYPE"))
        #expect(output.output.contains("sample_widths    struct   44        76        size, offset"))
    }

    @Test("cabi: both C layouts as text and JSON, with fingerprints; a bad layout is a usage error")
    func cabi() async throws {
        let text = try await runTool(tool, ["cabi", "--layout", "ilp32", sample], expectSuccess: false)
        #expect(text.status == 0)
        #expect(text.output.contains("struct sample_resource  size 52  align 4  fingerprint 0x"))
        #expect(text.output.contains("  36\t8\t4\tu_quad_t wide\n"))
        #expect(text.output.contains("  8\t4\t4\tsample_node * next\t(pointer)\n"))
        let output = try await runTool(tool, ["cabi", "--layout", "lp64", "--json", sample], expectSuccess: false)
        #expect(output.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.output.utf8)) as? [String: Any])
        #expect(json["layout"] as? String == "lp64")
        let types = try #require(json["types"] as? [[String: Any]])
        let resource = try #require(types.first { $0["name"] as? String == "sample_resource" })
        #expect(resource["size"] as? Int == 88 && resource["alignment"] as? Int == 8)
        #expect(resource["holdsPointers"] as? Bool == false)
        let batch = try #require(types.first { $0["name"] as? String == "sample_batch" })
        let members = try #require(batch["members"] as? [[String: Any]])
        #expect(members.map { $0["pointer"] as? Bool } == [true, true, true, false, true, true])
        let bad = try await runTool(tool, ["cabi", "--layout", "lp32", sample], expectSuccess: false)
        #expect(bad.status == 2)  // bad usage, as for crossbit and crossbitd
    }

    @Test("rpcl prints what the library prints, to stdout or a file")
    func rpcl() async throws {
        let module = try IDLFrontEnd.load(path: sample)
        let stdout = try await runTool(tool, ["rpcl", "--layout", "ilp32", sample], expectSuccess: false)
        #expect(stdout.status == 0)
        #expect(stdout.output == RPCLPrinter.print(module, layout: .ilp32))
        let directory = try Paths.temporaryDirectory("rpcl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.x").path
        let written = try await runTool(tool, ["rpcl", "--layout", "lp64", "-o", file, sample], expectSuccess: false)
        #expect(written.status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == RPCLPrinter.print(module, layout: .lp64))
        let badLayout = try await runTool(tool, ["rpcl", "--layout", "lp32", sample], expectSuccess: false)
        #expect(badLayout.status != 0)
    }
}
