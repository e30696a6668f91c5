import Foundation
import Synchronization
import Testing

/// Where the test binary's sibling products (crossbitd, crossbit-idl) are,
/// and the repository root.
enum Paths {
    static let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().path
    static let crossbitd = products + "/crossbitd"
    static let crossbitIDL = products + "/crossbit-idl"
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let sampleIDL = repository + "/IDL/crossbit_sample.x"
    static let testIDL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        + "/broker_test.x"

    /// A fresh temporary folder of this test run.
    static func temporaryDirectory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crossbitd-tests-\(getpid())-\(name)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a tool to completion (killing it after `timeout`); returns status and output.
@discardableResult
func run(
    _ executable: String, _ arguments: [String], timeout: Duration = .seconds(60), check: Bool = true
) async throws -> (status: Int32, output: String) {
    let process = ChildProcess(executable, arguments)
    try process.start()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        guard ContinuousClock.now < deadline else {
            process.kill(SIGKILL)
            throw ProcessFailure(description: "\(executable) \(arguments.joined(separator: " ")) timed out")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    let status = process.waitForExit()
    let output = process.output
    if check && status != 0 {
        throw ProcessFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited with \(status):\n\(output)")
    }
    return (status, output)
}

/// A child process whose standard output and error are collected, line by line.
final class ChildProcess: Sendable {
    private let process: Mutex<Process>
    private let collected = Mutex<(text: String, waiters: [(String, CheckedContinuation<String?, Never>)])>(("", []))
    let executable: String

    init(_ executable: String, _ arguments: [String]) {
        self.executable = executable
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        self.process = Mutex(process)
    }

    func start() throws {
        let pipe = Pipe()
        try process.withLock { process in
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
        }
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                append(String(decoding: data, as: UTF8.self))
            }
            append(nil)
        }
    }

    private func append(_ text: String?) {
        let ready = collected.withLock { state -> [(CheckedContinuation<String?, Never>, String?)] in
            if let text { state.text += text }
            var ready: [(CheckedContinuation<String?, Never>, String?)] = []
            state.waiters.removeAll { marker, continuation in
                if let line = Self.line(containing: marker, in: state.text) {
                    ready.append((continuation, line))
                    return true
                }
                if text == nil {
                    ready.append((continuation, nil))
                    return true
                }
                return false
            }
            return ready
        }
        for (continuation, line) in ready { continuation.resume(returning: line) }
    }

    private static func line(containing marker: String, in text: String) -> String? {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first { $0.contains(marker) }.map(String.init)
    }

    /// Everything printed so far.
    var output: String { collected.withLock { $0.text } }

    /// Waits for a complete line containing `marker`; fails after `timeout`
    /// or when the process closes its output first.
    func line(containing marker: String, timeout: Duration = .seconds(20)) async throws -> String {
        let found: String? = await withCheckedContinuation { continuation in
            let immediate = collected.withLock { state -> String?? in
                if let line = Self.line(containing: marker, in: state.text) { return .some(line) }
                state.waiters.append((marker, continuation))
                return .none
            }
            if case .some(let line) = immediate {
                continuation.resume(returning: line)
                return
            }
            Task {
                try await Task.sleep(for: timeout)
                let expired = self.collected.withLock { state -> CheckedContinuation<String?, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.0 == marker }) else { return nil }
                    return state.waiters.remove(at: index).1
                }
                expired?.resume(returning: nil)
            }
        }
        guard let found else {
            throw ProcessFailure(description: "\(executable) printed no line with '\(marker)':\n\(output)")
        }
        return found
    }

    /// How many times `marker` was printed, once at least `minimum` times
    /// were (or `timeout` passed).
    func count(of marker: String, atLeast minimum: Int, timeout: Duration = .seconds(5)) async -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let count = output.components(separatedBy: marker).count - 1
            if count >= minimum || ContinuousClock.now > deadline { return count }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    var isRunning: Bool { process.withLock { $0.isRunning } }
    var pid: Int32 { process.withLock { $0.processIdentifier } }

    func kill(_ signal: Int32) {
        process.withLock { process in
            if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        }
    }

    /// Waits for the process to end and returns its exit status.
    @discardableResult
    func waitForExit() -> Int32 {
        let process = process.withLock { $0 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Asks the process to stop (SIGTERM), waits up to `grace`, then kills it.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32 {
        kill(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        kill(SIGKILL)
        return waitForExit()
    }
}
