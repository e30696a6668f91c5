import CrossbitIDL
import Foundation
import Testing

/// Each `BadInputs/NAME.x` holds one mistake; `NAME.expected` the exact
/// diagnostics (errors, or warnings where the input is legal but suspect).
enum BadInputs {
    static var folder: URL? { Bundle.module.url(forResource: "BadInputs", withExtension: nil) }

    static var names: [String] {
        guard let folder else { return [] }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".x") }.map { String($0.dropLast(2)) }.sorted()
    }
}

@Suite("bad inputs")
struct BadInputTests {
    @Test("at least 25 distinct mistakes")
    func enoughMistakes() {
        #expect(BadInputs.names.count >= 25)
    }

    @Test("diagnostics match the expected lines", arguments: BadInputs.names)
    func diagnostics(name: String) throws {
        let folder = try #require(BadInputs.folder)
        let source = try String(contentsOf: folder.appendingPathComponent("\(name).x"), encoding: .utf8)
        let expected = try String(contentsOf: folder.appendingPathComponent("\(name).expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var actual: [String]
        do {
            let module = try IDLFrontEnd.load(source: source, file: "\(name).x")
            actual = module.warnings.map(\.description)
            #expect(expected.allSatisfy { $0.contains(": warning: ") }, "\(name).x was accepted")
        } catch {
            actual = error.diagnostics.map(\.description)
        }
        #expect(actual == expected)
        #expect(!actual.isEmpty)
        for line in actual {
            #expect(line.hasPrefix("\(name).x:"), "diagnostic names the file, line and column: \(line)")
        }
    }

    @Test("several errors in one run")
    func recovery() throws {
        let folder = try #require(BadInputs.folder)
        let source = try String(contentsOf: folder.appendingPathComponent("several_errors.x"), encoding: .utf8)
        #expect(throws: DiagnosticsError.self) { try IDLFrontEnd.load(source: source, file: "several_errors.x") }
        do {
            _ = try IDLFrontEnd.load(source: source, file: "several_errors.x")
        } catch {
            #expect(error.diagnostics.count >= 3)
            #expect(Set(error.diagnostics.map(\.location.line)).count >= 3)
        }
    }
}
