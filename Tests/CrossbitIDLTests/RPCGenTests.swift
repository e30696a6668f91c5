import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

struct IDLCase: CustomStringConvertible, Sendable {
    var file: URL
    var layout: WireLayout
    var description: String { "\(Tools.relativePath(file)) \(layout)" }

    static var all: [IDLCase] {
        Tools.projectIDLFiles.flatMap { file in WireLayout.allCases.map { IDLCase(file: file, layout: $0) } }
    }

    /// The sample interfaces whose fixed-size types are measured against rpcgen's C.
    static var measured: [IDLCase] {
        all.filter { ["IDL/crossbit_sample.x", "Tests/IDL/xdr_everything.x"].contains(Tools.relativePath($0.file)) }
    }
}

@Suite("rpcl through rpcgen and gcc")
struct RPCGenTests {
    @Test("the project's IDL files exist")
    func projectFiles() {
        let names = Set(Tools.projectIDLFiles.map(\.lastPathComponent))
        #expect(names.isSuperset(of: ["crossbit_sample.x", "crossbit_broker.x", "xdr_everything.x"]))
    }

    @Test("rpcgen accepts rpcl output and gcc compiles its C", arguments: IDLCase.all)
    func compiles(idl: IDLCase) async throws {
        let directory = try Paths.temporaryDirectory("rpcgen")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Tools.rpcgenAndCompile(idl.file, layout: idl.layout, in: directory)
    }

    @Test("rpcl lowers width-dependent types per layout")
    func lowering() throws {
        let module = try IDLFrontEnd.load(
            source: "struct s { size_t a; ssize_t b; __int3264 c; unsigned __int3264 d; handle_t e<>; time_t *f; };",
            file: "s.x")
        let ilp32 = RPCLPrinter.print(module, layout: .ilp32)
        let lp64 = RPCLPrinter.print(module, layout: .lp64)
        #expect(
            ilp32.contains("\tunsigned int a;\n\tint b;\n\tint c;\n\tunsigned int d;\n\tunsigned int e<>;\n\tint *f;\n")
        )
        #expect(
            lp64.contains(
                "\tunsigned hyper a;\n\thyper b;\n\thyper c;\n\tunsigned hyper d;\n\tunsigned hyper e<>;\n\thyper *f;\n"
            ))
    }

    @Test("rpcl keeps % lines inside their rpcgen pass conditions")
    func passConditions() throws {
        let source = """
            %/* everywhere */
            #ifdef RPC_XDR
            %/* xdr only */
            #endif
            #if defined(RPC_HDR)
            %/* header only */
            #else
            %/* not header */
            #endif
            const A = 1;
            """
        let module = try IDLFrontEnd.load(source: source, file: "p.x")
        let text = RPCLPrinter.print(module, layout: .lp64)
        #expect(text.contains("%/* everywhere */\n#if defined(RPC_XDR)\n%/* xdr only */\n#endif\n"))
        #expect(text.contains("#if (defined(RPC_HDR))\n%/* header only */\n#endif\n"))
        #expect(text.contains("#if !((defined(RPC_HDR)))\n%/* not header */\n#endif\n"))
    }

    /// For every fixed-size type of the sample interfaces, rpcgen's C encodes a
    /// filled value into exactly the number of bytes the layout model predicts.
    @Test("layout model matches xdr_sizeof of rpcgen's C", arguments: IDLCase.measured)
    func layoutMatchesC(idl: IDLCase) async throws {
        let module = try IDLFrontEnd.load(path: idl.file.path)
        let directory = try Paths.temporaryDirectory("sizes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = try await Tools.rpcgenAndCompile(idl.file, layout: idl.layout, in: directory)
        let fixed = module.layout.types.filter { $0.size[idl.layout] != nil }
        #expect(fixed.count >= 5)
        try Self.sizeProgram(name: name, types: fixed.map(\.name), module: module)
            .write(to: directory.appendingPathComponent("sizes.c"), atomically: true, encoding: .utf8)
        try await RPCGen.compile(["sizes.c", "\(name)_xdr.c"], layout: idl.layout, in: directory.path, output: "sizes")
        let run = try await runTool(
            directory.appendingPathComponent("sizes").path, [], in: directory.path, timeout: .seconds(30),
            expectSuccess: false)
        try #require(run.status == 0, "\(run)")
        var measured: [String: (sizeof: Int, encoded: Int)] = [:]
        for line in run.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let sizeof = Int(parts[1]), let encoded = Int(parts[2]) else { continue }
            measured[String(parts[0])] = (sizeof, encoded)
        }
        for type in fixed {
            let predicted = type.size[idl.layout]
            #expect(measured[type.name]?.sizeof == predicted, "xdr_sizeof of \(type.name) in \(idl.layout)")
            #expect(measured[type.name]?.encoded == predicted, "encoded size of \(type.name) in \(idl.layout)")
        }
    }

    /// C that fills a value of each type and prints `NAME xdr_sizeof encoded-bytes`.
    private static func sizeProgram(name: String, types: [String], module: IDLModule) -> String {
        var text = """
            #include <stdio.h>
            #include <string.h>
            #include <rpc/rpc.h>
            #include "\(name).h"

            typedef bool_t (*encoder)(XDR *, void *);

            static void measure(const char *name, xdrproc_t proc, void *value) {
                static char buffer[1 << 16];
                XDR xdr;
                xdrmem_create(&xdr, buffer, sizeof buffer, XDR_ENCODE);
                int encoded = ((encoder)proc)(&xdr, value) ? (int)xdr_getpos(&xdr) : -1;
                printf("%s %lu %d\\n", name, (unsigned long)xdr_sizeof(proc, value), encoded);
                xdr_destroy(&xdr);
            }

            int main(void) {

            """
        for type in types {
            text += "\t{\n\t\t\(type) v;\n\t\tmemset(&v, 0x5A, sizeof v);\n"
            if case .union(let union)? = module.definition(ofType: type), let first = union.arms.first?.values.first {
                text += "\t\tv.\(union.discriminant.name) = \(first);\n"
            }
            text += "\t\tmeasure(\"\(type)\", (xdrproc_t)xdr_\(type), &v);\n\t}\n"
        }
        return text + "\treturn 0;\n}\n"
    }
}
