import Foundation
import Synchronization

/// What a finished tool printed.
public struct ToolOutput: Sendable, CustomStringConvertible {
    public var status: Int32
    /// Standard output.
    public var output: String
    /// Standard error.
    public var error: String

    /// Standard output, then standard error.
    public var combined: String { output + error }

    public var description: String { "exit \(status)\n\(output)\(error)" }
}

/// A failure of a helper process, with what it printed.
public struct ProcessFailure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// Runs `executable` (an absolute path, or a name looked up on `PATH`) with
/// `arguments` to completion, in `directory` when given, with no standard
/// input. Kills it and throws after `timeout`; throws when it exits non-zero
/// unless `expectSuccess` is false. At most one tool per processor runs at a
/// time (the others wait their turn before their timeout starts), so that
/// tests starting dozens of compilers at once leave the processors to the
/// timing-sensitive ones.
@discardableResult
public func runTool(
    _ executable: String, _ arguments: [String], in directory: String? = nil, timeout: Duration = .seconds(60),
    expectSuccess: Bool = true
) async throws -> ToolOutput {
    await ToolSlots.shared.acquire()
    do {
        let result = try await runNow(
            executable, arguments, in: directory, timeout: timeout, expectSuccess: expectSuccess)
        await ToolSlots.shared.release()
        return result
    } catch {
        await ToolSlots.shared.release()
        throw error
    }
}

private func runNow(
    _ executable: String, _ arguments: [String], in directory: String?, timeout: Duration, expectSuccess: Bool
) async throws -> ToolOutput {
    let process = Process()
    let absolute = executable.hasPrefix("/")
    process.executableURL = URL(fileURLWithPath: absolute ? executable : "/usr/bin/env")
    process.arguments = absolute ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    async let outputData = readOnThread { output.fileHandleForReading.readDataToEndOfFile() }
    async let errorData = readOnThread { error.fileHandleForReading.readDataToEndOfFile() }
    let command = ([executable] + arguments).joined(separator: " ")
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            throw ProcessFailure(description: "\(command) timed out")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    let result = ToolOutput(
        status: process.terminationStatus,
        output: String(decoding: await outputData, as: UTF8.self),
        error: String(decoding: await errorData, as: UTF8.self))
    if expectSuccess && result.status != 0 {
        throw ProcessFailure(description: "\(command) exited with \(result.status)\n\(result.output)\(result.error)")
    }
    return result
}

/// The turns of ``runTool(_:_:in:timeout:expectSuccess:)``: one per processor.
private actor ToolSlots {
    static let shared = ToolSlots(ProcessInfo.processInfo.activeProcessorCount)
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = max(1, count) }

    func acquire() async {
        guard free == 0 else {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// A long-running child process whose standard output and error are
/// collected together, line by line, so that tests can wait for what it prints.
public final class ChildProcess: Sendable {
    private let process: Mutex<Process>
    private let collected = Mutex<(text: String, waiters: [(String, CheckedContinuation<String?, Never>)])>(("", []))
    public let executable: String

    /// A process of `executable`; `environment` adds to (or replaces in) the test's own environment.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) {
        self.executable = executable
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        self.process = Mutex(process)
    }

    public func start() throws {
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
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .first { marker.isEmpty || $0.contains(marker) }.map(String.init)
    }

    /// Everything printed so far.
    public var output: String { collected.withLock { $0.text } }

    /// Waits for a complete line containing `marker` (any line when it is
    /// empty); fails after `timeout` or when the process closes its output first.
    public func line(containing marker: String, timeout: Duration = .seconds(20)) async throws -> String {
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
    public func count(of marker: String, atLeast minimum: Int, timeout: Duration = .seconds(5)) async -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let count = output.components(separatedBy: marker).count - 1
            if count >= minimum || ContinuousClock.now > deadline { return count }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    public var isRunning: Bool { process.withLock { $0.isRunning } }
    public var pid: Int32 { process.withLock { $0.processIdentifier } }

    public func kill(_ signal: Int32) {
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
    public func stop(grace: Duration = .seconds(10)) async -> Int32 {
        kill(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return stopNow()
    }

    /// Kills the process (SIGKILL) if it still runs and waits for it to end.
    @discardableResult
    public func stopNow() -> Int32 {
        kill(SIGKILL)
        return waitForExit()
    }
}

/// Runs `body` with a child process started and ready (it printed a line with
/// `readyMarker` within `timeout`); kills it afterwards, also on failure.
public func withBackgroundProcess<T>(
    _ executable: String, _ arguments: [String], readyMarker: String = "READY", timeout: Duration = .seconds(10),
    _ body: (_ readyLine: String) async throws -> T
) async throws -> T {
    let process = ChildProcess(executable, arguments)
    try process.start()
    defer { process.stopNow() }
    return try await body(try await process.line(containing: readyMarker, timeout: timeout))
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
public func readOnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
