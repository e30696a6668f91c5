import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import Foundation
import Testing

/// Paths of the repository, found from this file.
enum Paths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// Tests/IDL/xdr_everything.x, through the link the build plugin reads.
    static let everythingIDL = testsFolder.appending(path: "IDL/xdr_everything.x").path
    static let golden = testsFolder.appending(path: "Golden")
    /// The folder of the built modules, next to the test bundle.
    static var modules: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appending(path: "Modules")
    }
}

/// Runs a program to completion (with a deadline) and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], in folder: URL? = nil, timeout: Duration = .seconds(120))
    throws -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    let output = FileManager.default.temporaryDirectory.appending(path: "crossbit-run-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    defer {
        try? handle.close()
        try? FileManager.default.removeItem(at: output)
    }
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            process.waitUntilExit()
            return (-1, "timed out: \(executable) \(arguments.joined(separator: " "))")
        }
        Thread.sleep(forTimeInterval: 0.01)
    }
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    return (process.terminationStatus, text)
}

/// A fresh temporary folder.
func temporaryFolder(_ name: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appending(path: "crossbit-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
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
func typecheck(_ files: [URL]) throws -> (status: Int32, output: String) {
    try run(
        "/usr/bin/env",
        ["swiftc", "-typecheck", "-swift-version", "6", "-strict-concurrency=complete", "-warnings-as-errors",
         "-package-name", "generated",
         "-I", Paths.modules.path] + files.map(\.path))
}
