import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// Hostile inputs: each gives diagnostics and exit status 1, never a crash or a hang.
enum HostileInput: String, CaseIterable, CustomStringConvertible {
    case emptyFile
    case binaryGarbage
    case unterminatedComment
    case tenMegabyteLine
    case tenMegabyteGarbageLine
    case inlineNesting
    case namedStructNesting
    case namedUnionNesting
    case deepConditionals
    case selfInclude

    var description: String { rawValue }

    /// Writes the input into `directory`; returns its path.
    func write(in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("\(rawValue).x")
        try Data(bytes).write(to: url)
        return url
    }

    var bytes: [UInt8] {
        switch self {
        case .emptyFile:
            return []
        case .binaryGarbage:
            var generator = SystemRandomNumberGenerator()
            return (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case .unterminatedComment:
            return Array("const A = 1;\n/* no end\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
        case .tenMegabyteLine:
            return Array(repeating: UInt8(ascii: "a"), count: 10 << 20)
        case .tenMegabyteGarbageLine:
            return Array(String(repeating: "const A = @ 1; ", count: (10 << 20) / 15).utf8)
        case .inlineNesting:
            let depth = 1000
            return Array(
                ("struct outer {\n" + String(repeating: "struct {\n", count: depth) + "int x;\n"
                    + String(repeating: "} inner;\n", count: depth) + "};\n").utf8)
        case .namedStructNesting:
            let depth = 1000
            var text = ""
            for level in 0..<depth { text += "struct s\(level) { s\(level + 1) next; int pad; };\n" }
            text += "struct s\(depth) { int leaf; };\n"
            return Array(text.utf8)
        case .namedUnionNesting:
            let depth = 1000
            var text = ""
            for level in 0..<depth {
                text += "union u\(level) switch (int d) { case 0: u\(level + 1) next; default: void; };\n"
            }
            text += "union u\(depth) switch (int d) { case 0: int leaf; default: void; };\n"
            return Array(text.utf8)
        case .deepConditionals:
            return Array(
                (String(repeating: "#ifdef RPC_HDR\n", count: 10_000) + "const A = 1;\n"
                    + String(repeating: "#endif\n", count: 9_999)).utf8)
        case .selfInclude:
            return Array("#include \"selfInclude.x\"\nconst A = 1;\n".utf8)
        }
    }
}

@Suite("robustness")
struct RobustnessTests {
    /// A hang is a failure (the time limit); how fast is the benchmark's business, not this test's.
    @Test("hostile input gives diagnostics", .timeLimit(.minutes(3)), arguments: HostileInput.allCases)
    func library(input: HostileInput) throws {
        let directory = try Paths.temporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try input.write(in: directory).path
        #expect(throws: DiagnosticsError.self) { try IDLFrontEnd.load(path: path) }
        do {
            _ = try IDLFrontEnd.load(path: path)
        } catch {
            #expect(!error.diagnostics.isEmpty)
            #expect(error.diagnostics.count <= 60, "errors are capped")
            #expect(error.diagnostics.allSatisfy { $0.description.hasPrefix(path + ":") })
            // Messages stay short even for a 10 MB token.
            #expect(error.diagnostics.allSatisfy { $0.description.count < 600 })
        }
    }

    @Test("1,000 nested named types: a clear error about the nesting limit")
    func nestingLimit() throws {
        let source = String(decoding: HostileInput.namedStructNesting.bytes, as: UTF8.self)
        do {
            _ = try IDLFrontEnd.load(source: source, file: "deep.x")
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first?.message.contains("more than 256 levels deep") == true)
        }
    }

    @Test("nesting up to the limit is accepted")
    func nestingWithinLimit() throws {
        var text = ""
        for level in 0..<200 { text += "struct s\(level) { s\(level + 1) next; size_t pad; };\n" }
        text += "struct s200 { int leaf; };\n"
        let module = try IDLFrontEnd.load(source: text, file: "deep.x")
        #expect(module.layout.wireSize(ofType: "s0", in: .ilp32) == 200 * 4 + 4)
        #expect(module.layout.wireSize(ofType: "s0", in: .lp64) == 200 * 8 + 4)
    }

    @Test("unreadable paths")
    func unreadable() throws {
        let directory = try Paths.temporaryDirectory("unreadable")
        defer { try? FileManager.default.removeItem(at: directory) }
        for path in [directory.appendingPathComponent("missing.x").path, directory.path] {
            do {
                _ = try IDLFrontEnd.load(path: path)
                Issue.record("\(path) was read")
            } catch {
                #expect(error.description.hasPrefix("\(path):1:1: error: cannot read file"))
            }
        }
    }

    @Test(
        "crossbit-idl check exits 1 with diagnostics", .enabled(if: Paths.builtProduct("crossbit-idl") != nil),
        arguments: HostileInput.allCases)
    func executable(input: HostileInput) async throws {
        let directory = try Paths.temporaryDirectory("hostile-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try input.write(in: directory).path
        let tool = try #require(Paths.builtProduct("crossbit-idl"))
        let output = try await runTool(tool, ["check", path], timeout: .seconds(60), expectSuccess: false)
        #expect(output.status == 1, "\(output)")
        #expect(output.error.hasPrefix(path + ":"))
    }

    @Test("crossbit-idl check on a missing file exits 1", .enabled(if: Paths.builtProduct("crossbit-idl") != nil))
    func executableMissingFile() async throws {
        let tool = try #require(Paths.builtProduct("crossbit-idl"))
        let output = try await runTool(tool, ["check", "/nonexistent/file.x"], expectSuccess: false)
        #expect(output.status == 1)
        #expect(output.error == "/nonexistent/file.x:1:1: error: cannot read file: no such file\n")
    }
}
