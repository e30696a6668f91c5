import CrossbitProcess
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
    let command = ([executable] + arguments).joined(separator: " ")
    let ran: ProcessOutput
    do {
        ran = try await ManagedProcess.run(executable, arguments, directory: directory, timeout: timeout)
    } catch {
        throw ProcessFailure(description: "\(error)")
    }
    let result = ToolOutput(status: ran.termination.code, output: ran.output, error: ran.error)
    if expectSuccess && result.status != 0 {
        throw ProcessFailure(description: "\(command) \(ran.termination)\n\(result.output)\(result.error)")
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
    public let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let process = Mutex<ManagedProcess?>(nil)
    private let printed = PrintedLines()

    /// A process of `executable`; `environment` adds to (or replaces in) the test's own environment.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    public func start() async throws {
        let started = try await ManagedProcess.start(
            executable, arguments, environment: environment,
            onOutput: { [printed] stream, bytes in printed.append(bytes, from: stream) },
            onExit: { [printed] _ in printed.end() })
        process.withLock { $0 = started }
    }

    /// Everything printed so far, standard output and error as their lines came.
    public var output: String { printed.text() }

    /// Waits for a complete line containing `marker` (any line when it is
    /// empty); fails after `timeout` or when the process closes its output first.
    public func line(containing marker: String, timeout: Duration = .seconds(20)) async throws -> String {
        do {
            return try await printed.line(containing: marker, timeout: timeout)
        } catch {
            throw ProcessFailure(description: "\(executable): \(error):\n\(output)")
        }
    }

    /// How many times `marker` was printed, once at least `minimum` times
    /// were (or `timeout` passed).
    public func count(of marker: String, atLeast minimum: Int, timeout: Duration = .seconds(5)) async -> Int {
        let what = "\(minimum) times '\(marker)'"
        _ = try? await printed.first(named: what, within: timeout) { lines in
            Self.count(of: marker, in: PrintedLines.text(of: lines)) >= minimum ? "" : nil
        }
        return Self.count(of: marker, in: printed.text())
    }

    private static func count(of marker: String, in text: String) -> Int {
        text.components(separatedBy: marker).count - 1
    }

    /// Whether the process has started and not yet been seen to exit.
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }
    public var pid: Int32 { process.withLock { $0?.pid ?? 0 } }

    /// Sends `signal`; does nothing once the process is gone.
    public func kill(_ signal: Int32) {
        process.withLock { $0?.signal(signal) }
    }

    /// Waits for the process to end; returns its exit status (128 plus the signal's number when a signal
    /// ended it).
    public func exitStatus() async -> Int32 {
        guard let process = process.withLock({ $0 }) else { return -1 }
        return await process.termination().code
    }

    /// Asks the process to stop (SIGTERM), kills it when it is still there after `grace`; returns its
    /// exit status.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32 {
        guard let process = process.withLock({ $0 }) else { return -1 }
        return await process.stop(grace: grace).code
    }

    /// Kills the process (SIGKILL) if it still runs, without waiting: for `defer`, where nothing can wait.
    public func stopNow() {
        kill(SIGKILL)
    }
}

/// Runs `body` with a child process started and ready (it printed a line with
/// `readyMarker` within `timeout`); kills it afterwards, also on failure.
public func withBackgroundProcess<T>(
    _ executable: String, _ arguments: [String], readyMarker: String = "READY", timeout: Duration = .seconds(10),
    _ body: (_ readyLine: String) async throws -> T
) async throws -> T {
    let process = ChildProcess(executable, arguments)
    try await process.start()
    defer { process.stopNow() }
    return try await body(try await process.line(containing: readyMarker, timeout: timeout))
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
public func readOnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
