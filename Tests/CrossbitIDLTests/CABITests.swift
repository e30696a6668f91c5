import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// An IDL file whose C layout is measured, in one data model.
struct CABICase: CustomStringConvertible, Sendable {
    var path: String
    var layout: WireLayout
    var description: String { "\((path as NSString).lastPathComponent) \(layout)" }

    static var all: [CABICase] {
        let files = RPCSVCCorpus.files.map { "\(RPCSVCCorpus.folder)/\($0)" } + [Paths.sampleIDL]
        return files.flatMap { file in WireLayout.allCases.map { CABICase(path: file, layout: $0) } }
    }
}

@Suite("C layouts against gcc")
struct CABITests {
    /// For every type of the file, rpcgen's header (from `rpcl` for the layout)
    /// compiled with `gcc -m32` or `-m64` gives the sizeof, _Alignof, and each
    /// member's offsetof and sizeof that the model predicts.
    @Test("cabi agrees with gcc's sizeof, _Alignof and offsetof of rpcgen's C", arguments: CABICase.all)
    func agreesWithGCC(idl: CABICase) async throws {
        let module = try IDLFrontEnd.load(path: idl.path)
        let model = module.cLayout(idl.layout)
        #expect(model.problems.isEmpty, "\(model.problems)")
        #expect(!model.types.isEmpty)
        let directory = try Paths.temporaryDirectory("cabi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = URL(fileURLWithPath: idl.path).deletingPathExtension().lastPathComponent
        try RPCLPrinter.print(module, layout: idl.layout).write(
            to: directory.appendingPathComponent("\(name).x"), atomically: true, encoding: .utf8)
        try await runTool("/usr/bin/rpcgen", ["-N", "-h", "-o", "\(name).h", "\(name).x"], in: directory.path)
        let expected = Self.expectedLines(model)
        try Self.program(header: "\(name).h", model: model)
            .write(to: directory.appendingPathComponent("layout.c"), atomically: true, encoding: .utf8)
        try await RPCGen.compile(["layout.c"], layout: idl.layout, in: directory.path, flags: ["-w"], output: "layout")
        let run = try await runTool(directory.appendingPathComponent("layout").path, [], in: directory.path)
        let measured = run.output.split(separator: "\n").map(String.init)
        #expect(measured.count == expected.count)
        for (line, prediction) in zip(measured, expected) {
            #expect(line == prediction, "gcc \(idl.layout) vs cabi")
        }
    }

    @Test("i386 and x86-64 differ where the ABI says: 4-byte aligned hyper, 4-byte pointers and long")
    func knownDifferences() throws {
        let module = try IDLFrontEnd.load(
            source: "struct s { int a; hyper b; long c; string d<>; size_t e; double f; };", file: "s.x")
        let ilp32 = try #require(module.cLayout(.ilp32).layout(ofType: "s"))
        let lp64 = try #require(module.cLayout(.lp64).layout(ofType: "s"))
        #expect(ilp32.members.map(\.offset) == [0, 4, 12, 16, 20, 24])
        #expect((ilp32.size, ilp32.alignment) == (32, 4))
        #expect(lp64.members.map(\.offset) == [0, 8, 16, 24, 32, 40])
        #expect((lp64.size, lp64.alignment) == (48, 8))
        #expect(ilp32.members.map(\.holdsPointers) == [false, false, false, true, false, false])
        #expect(ilp32.holdsPointers)
    }

    @Test("a type rpcgen's C cannot lay out is reported with the member")
    func quadrupleHasNoCType() throws {
        let module = try IDLFrontEnd.load(source: "struct q { int a; quadruple b; };", file: "q.x")
        #expect(module.cLayout(.lp64).problems.map(\.description) == ["q.b: rpcgen's C has no type for quadruple"])
    }

    /// `T size align` per type, then `M type member offset size` per member.
    static func expectedLines(_ model: CLayoutModel) -> [String] {
        model.types.flatMap { type in
            ["T \(type.name) \(type.size) \(type.alignment)"]
                + type.members.map { "M \(type.name) \($0.name) \($0.offset) \($0.size)" }
        }
    }

    /// C printing what gcc makes of the same, in the same order.
    static func program(header: String, model: CLayoutModel) -> String {
        var text = """
            #include <stdio.h>
            #include <stddef.h>
            #include <rpc/rpc.h>
            #include "\(header)"

            int main(void) {

            """
        for type in model.types {
            text +=
                "\tprintf(\"T \(type.name) %u %u\\n\", (unsigned)sizeof(\(type.name)), "
                + "(unsigned)_Alignof(\(type.name)));\n"
            for member in type.members {
                text +=
                    "\tprintf(\"M \(type.name) \(member.name) %u %u\\n\", "
                    + "(unsigned)offsetof(\(type.name), \(member.name)), "
                    + "(unsigned)sizeof(((\(type.name) *)0)->\(member.name)));\n"
            }
        }
        return text + "\treturn 0;\n}\n"
    }
}
