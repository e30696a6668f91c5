import Foundation
import Testing

/// What a finished tool printed.
public struct ToolOutput: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// A failure of a helper process, with what it printed.
public struct ProcessFailure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// Runs `executable` with `arguments` to completion, killing it after `timeout`.
@discardableResult
public func runTool(
    _ executable: String, _ arguments: [String], timeout: Duration = .seconds(60), expectSuccess: Bool = true
) async throws -> ToolOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    async let outputData = readOnThread { output.fileHandleForReading.readDataToEndOfFile() }
    async let errorData = readOnThread { error.fileHandleForReading.readDataToEndOfFile() }
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            throw ProcessFailure(description: "\(executable) \(arguments.joined(separator: " ")) timed out")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    let result = ToolOutput(
        status: process.terminationStatus,
        output: String(decoding: await outputData, as: UTF8.self),
        error: String(decoding: await errorData, as: UTF8.self))
    if expectSuccess && result.status != 0 {
        throw ProcessFailure(description: """
            \(executable) \(arguments.joined(separator: " ")) exited with \(result.status)
            \(result.output)\(result.error)
            """)
    }
    return result
}

/// A process running in the background until `stop()`; started and waited
/// for by `withBackgroundProcess`, which always stops it.
public final class BackgroundProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()

    public init(_ executable: String, _ arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
    }

    /// Starts the process and returns the first line it prints (its readiness signal).
    public func start(timeout: Duration = .seconds(10)) async throws -> String {
        try process.run()
        let handle = output.fileHandleForReading
        let line = Task {
            await readOnThread { () -> String in
                var bytes: [UInt8] = []
                while let byte = try? handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.stop()
        }
        defer { timer.cancel() }
        let ready = await line.value
        guard process.isRunning, !ready.isEmpty else {
            stop()
            throw ProcessFailure(description: "\(process.executableURL?.path ?? "?") did not get ready")
        }
        return ready
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Runs `body` with a background process started and ready; stops it afterwards, also on failure.
public func withBackgroundProcess<T>(
    _ executable: String, _ arguments: [String], _ body: (_ readyLine: String) async throws -> T
) async throws -> T {
    let process = BackgroundProcess(executable, arguments)
    defer { process.stop() }
    return try await body(try await process.start())
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
public func readOnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
