import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

@Suite("front end")
struct FrontEndTests {
    @Test("values: literals, constants, enum cases, implicit enum values")
    func values() throws {
        let module = try IDLFrontEnd.load(
            source: """
                const A = 0x10;
                const B = A;
                const C = -017;
                enum e { X = B, Y, Z };
                enum f { P, Q };
                """,
            file: "v.x")
        #expect(module.value(of: .name("B")) == 16)
        #expect(module.value(of: .name("C")) == -15)
        #expect(module.value(of: .name("Y")) == 17)
        #expect(module.value(of: .name("Z")) == 18)
        #expect(module.value(of: .name("Q")) == 1)
        #expect(module.value(of: .name("TRUE")) == 1)
        guard case .enum(let e)? = module.definition(ofType: "e") else {
            Issue.record("enum e missing")
            return
        }
        #expect(e.cases.map(\.value) == [.name("B"), .literal(17, text: "17"), .literal(18, text: "18")])
    }

    @Test("typedef chains resolve; spellings are kept")
    func typedefs() throws {
        let module = try IDLFrontEnd.load(
            source: """
                typedef unsigned long ul;
                typedef ul count;
                typedef __int3264 legacy;
                struct s { count c; legacy l; struct s *next; u_char b; };
                """,
            file: "t.x")
        #expect(module.resolver.resolved(.named("count")) == .unsignedInt)
        #expect(module.resolver.resolved(.named("legacy")) == .widthDependent(.intptrT))
        guard case .struct(let s)? = module.definition(ofType: "s") else {
            Issue.record("struct s missing")
            return
        }
        #expect(s.fields.map(\.spelling) == [nil, nil, "struct s", "u_char"])
        guard case .typedef(let ul)? = module.definition(ofType: "ul") else { return }
        #expect(ul.declaration.spelling == "unsigned long")
        #expect(module.definition(ofType: "netobj") != nil, "libtirpc's netobj is built in")
    }

    @Test("the resolver: typedefs through arrays, discriminant kinds, case values, bounds")
    func resolver() throws {
        let module = try IDLFrontEnd.load(
            source: """
                const MAX = 0x10;
                enum color { RED = 1, GREEN = 2 };
                typedef unsigned int word;
                typedef color shade;
                typedef int list<MAX>;
                typedef list lists;
                union by_word switch (word w) { case 0: void; case 7: int x; };
                union by_shade switch (shade s) { case RED: case GREEN: int y; default: void; };
                union by_flag switch (bool b) { case TRUE: int z; };
                union by_int switch (int i) { case -1: void; };
                """,
            file: "r.x")
        let resolver = module.resolver
        #expect(resolver.resolved(.plain(.named("lists"))) == .variableArray(.int, maximum: .name("MAX")))
        #expect(resolver.bound(.name("MAX")) == 16)
        #expect(resolver.bound(nil) == nil)
        #expect(resolver.count(.literal(Int128(UInt64.max) + 1, text: "")) == Int.max, "clamped, not trapped")
        func union(_ name: String) throws -> ResolvedUnion {
            guard case .union(let definition)? = module.definition(ofType: name),
                let union = resolver.union(definition)
            else { throw DiagnosticsError(diagnostics: []) }
            return union
        }
        #expect(try union("by_word").discriminant == .unsignedInt)
        #expect(try !union("by_word").discriminant.isSigned)
        #expect(try union("by_word").arm(for: 7)?.name == "x")
        #expect(try union("by_word").arm(for: 8) == nil)
        let byShade = try union("by_shade")
        guard case .enumeration(let color) = byShade.discriminant else {
            Issue.record("shade is not an enum discriminant")
            return
        }
        #expect(color.name == "color" && byShade.discriminant.isSigned)
        #expect(byShade.cases.map(\.value) == [1, 2])
        #expect(byShade.arm(for: 99) == byShade.definition.defaultArm)
        #expect(try union("by_flag").discriminant == .bool)
        #expect(try union("by_flag").discriminant.caseRange == 0...1)
        #expect(try union("by_int").cases.map(\.value) == [-1])
    }

    @Test("integer literals: decimal, hex, C's octal only where asked")
    func integerLiterals() {
        #expect(IntegerLiteral.parse("0x1F") == 31)
        #expect(IntegerLiteral.parse("0X1f") == 31)
        #expect(IntegerLiteral.parse("-12") == -12)
        #expect(IntegerLiteral.parse("010") == 10)
        #expect(IntegerLiteral.parse("010", octal: true) == 8)
        #expect(IntegerLiteral.parse("0", octal: true) == 0)
        #expect(IntegerLiteral.parse("0x") == nil)
        #expect(IntegerLiteral.parse("12a") == nil)
        #expect(IntegerLiteral.parse(String(repeating: "9", count: 41)) == nil)
    }

    @Test("procedures with several arguments, void and names")
    func procedures() throws {
        let module = try IDLFrontEnd.load(
            source: """
                program P {
                    version V {
                        void NONE(void) = 0;
                        hyper SUM(int a, hyper, size_t n) = 1;
                        string NAME(string<8>) = 2;
                    } = 1;
                } = 0x20000001;
                """,
            file: "p.x")
        guard case .program(let program) = module.specification.definitions.first else {
            Issue.record("no program")
            return
        }
        let procedures = program.versions[0].procedures
        #expect(procedures[0].arguments.isEmpty)
        #expect(procedures[1].arguments.map(\.name) == ["a", "", "n"])
        #expect(procedures[2].arguments.first?.kind == .string(maximum: .literal(8, text: "8")))
        let sum = try #require(module.layout.procedure(program: 0x2000_0001, version: 1, procedure: 1))
        #expect(sum.argumentSize == WireSizes(ilp32: 16, lp64: 20))
        #expect(sum.argumentPaths == ["n"])
        #expect(sum.isWidthDependent)
        #expect(!module.layout.isWidthDependent(program: 0x2000_0001, version: 1, procedure: 0))
    }

    @Test("preprocessor: defines, conditionals, includes, comments, line continuation")
    func preprocessor() throws {
        let directory = try Paths.temporaryDirectory("pp")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "const INCLUDED = 7;\n".write(
            to: directory.appendingPathComponent("inc.x"), atomically: true, encoding: .utf8)
        let main = """
            #define SIZE 12
            #include "inc.x"
            #if SIZE > 10 && defined(RPC_HDR)
            const BIG = SIZE;
            #else
            const BIG = 0;
            #endif
            #ifdef FEATURE
            const FEATURE_ON = 1;
            #endif
            /* a comment
            #error not a directive inside a comment
            */
            %#define LONG_MACRO 1 + \\
            %   2
            const AFTER = 3; /* on line 16 */
            """
        try main.write(to: directory.appendingPathComponent("main.x"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("main.x").path
        let module = try IDLFrontEnd.load(path: path, options: FrontEndOptions(defines: ["FEATURE": "1"]))
        #expect(module.value(of: .name("INCLUDED")) == 7)
        #expect(module.value(of: .name("BIG")) == 12)
        #expect(module.value(of: .name("FEATURE_ON")) == 1)
        let after = module.specification.definitions.compactMap { definition -> ConstantDefinition? in
            if case .constant(let constant) = definition, constant.name == "AFTER" { return constant }
            return nil
        }.first
        #expect(after?.location == SourceLocation(file: path, line: 16, column: 7))
        #expect(after?.comment == "a comment\n#error not a directive inside a comment")
    }

    @Test("a % line inside a definition comes out before it, as rpcgen prints it")
    func passThroughInsideDefinition() throws {
        let module = try IDLFrontEnd.load(
            source: "%/* first */\nstruct s {\n\tint a;\n%/* inside */\n\tint b;\n};\n%/* last */\n", file: "p.x")
        let kinds = module.specification.definitions.map { definition -> String in
            switch definition {
            case .passThrough(let text, _): text
            case .struct(let structure): structure.name
            default: "?"
            }
        }
        #expect(kinds == ["/* first */", "/* inside */", "s", "/* last */"])
    }

    @Test("layout: sizes and width-dependent paths")
    func layout() throws {
        let module = try IDLFrontEnd.load(
            source: """
                struct inner { size_t len; int x; };
                struct node { handle_t h; node *next; };
                union u switch (int d) { case 0: time_t t; case 1: uintptr_t p; };
                union v switch (int d) { case 0: int a; default: void; };
                struct outer { inner buf; inner items<>; node *list; opaque o[5]; u un; hyper h[2]; };
                typedef ssize_t offsets[3];
                """,
            file: "l.x")
        let layout = module.layout
        #expect(layout.wireSize(ofType: "inner", in: .ilp32) == 8)
        #expect(layout.wireSize(ofType: "inner", in: .lp64) == 12)
        #expect(layout.wireSize(ofType: "u", in: .ilp32) == 8)
        #expect(layout.wireSize(ofType: "u", in: .lp64) == 12)
        #expect(layout.wireSize(ofType: "v", in: .lp64) == nil)
        #expect(layout.wireSize(ofType: "outer", in: .lp64) == nil)
        #expect(layout.wireSize(ofType: "offsets", in: .ilp32) == 12)
        #expect(layout.wireSize(ofType: "offsets", in: .lp64) == 24)
        #expect(layout.widthDependentPaths(ofType: "node") == ["h", "next->(node)"])
        #expect(layout.widthDependentPaths(ofType: "offsets") == ["[]"])
        #expect(
            layout.widthDependentPaths(ofType: "outer")
                == ["buf.len", "items[].len", "list->h", "list->next->(node)", "un.t", "un.p"])
        #expect(!layout.isWidthDependent(type: "v"))
    }

    @Test("a generated 5,000-line file checks (timing is measured by hand with a release build)")
    func largeFile() throws {
        let text = LargeIDL.make(lines: 5_000)
        #expect(text.split(separator: "\n").count >= 5_000)
        let module = try IDLFrontEnd.load(source: text, file: "large.x")
        #expect(module.layout.types.count > 500)
    }
}

/// A large, valid IDL file for the performance check.
enum LargeIDL {
    static func make(lines: Int) -> String {
        var text = "const LARGE_MAX = 64;\n"
        var index = 0
        while text.utf8.count / 16 < lines * 2 && text.split(separator: "\n").count < lines - 20 {
            text += """
                enum kind\(index) { K\(index)_A = 0, K\(index)_B = 1 };
                struct item\(index) {
                \tsize_t size;
                \thyper value;
                \tkind\(index) kind;
                \tstring name<LARGE_MAX>;
                \titem\(index) *next;
                };
                union choice\(index) switch (kind\(index) k) {
                case K\(index)_A:
                \titem\(index) item;
                case K\(index)_B:
                \ttime_t when;
                };

                """
            index += 1
        }
        text += "program LARGE {\n\tversion LARGE_V1 {\n"
        for procedure in 0..<min(index, 10_000) {
            text += "\t\tchoice\(procedure) CALL\(procedure)(item\(procedure), size_t) = \(procedure + 1);\n"
        }
        return text + "\t} = 1;\n} = 0x20009999;\n"
    }
}
