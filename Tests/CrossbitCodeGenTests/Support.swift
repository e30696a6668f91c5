import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// This target's files, beside the shared ``Paths``.
extension Paths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// Tests/IDL/xdr_everything.x, through the link the build plugin reads.
    static let everythingIDL = testsFolder.appending(path: "IDL/xdr_everything.x").path
    static let golden = testsFolder.appending(path: "Golden")
    /// The folder of the built modules, next to the test bundle.
    static let modules = URL(fileURLWithPath: products).appending(path: "Modules")
}

/// Loads an IDL file through the front end.
func loadModule(_ path: String) throws -> IDLModule {
    do {
        return try IDLFrontEnd.load(path: path)
    } catch {
        throw GenerationFailure(message: error.description)
    }
}

struct GenerationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Type-checks Swift files against the built CrossbitCore under Swift 6 with
/// strict concurrency, warnings as errors.
func typecheck(_ files: [URL]) async throws -> ToolOutput {
    try await runTool(
        "swiftc",
        [
            "-typecheck", "-swift-version", "6", "-strict-concurrency=complete", "-warnings-as-errors",
            "-package-name", "generated",
            "-I", Paths.modules.path,
        ] + files.map(\.path),
        timeout: .seconds(120), expectSuccess: false)
}
