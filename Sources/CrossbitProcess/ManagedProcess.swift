import Glibc
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A child process that runs while its owner goes on: the broker's activated servers, and the peers and
/// tools that the tests and benchmarks start. One runner for all of them, on swift-subprocess, so that
/// starting, output, signals and the SIGTERM-then-SIGKILL stop are written once.
///
/// Its standard output and error are handed to `onOutput` as they arrive (a chatty child never blocks on
/// a full pipe). Signals go through the process descriptor swift-subprocess holds while the process is
/// there, so a signal can never reach a later process that reuses the pid.
public final class ManagedProcess: Sendable {
    /// Which of the child's output streams a chunk came from.
    public enum Stream: Sendable, Hashable {
        case output, error
    }

    /// The process id.
    public let pid: Int32
    private let execution: Mutex<Execution<NoInput, SequenceOutput, SequenceOutput>?>
    private let ended = Mutex<(termination: Termination?, waiters: [CheckedContinuation<Termination, Never>])>(
        (nil, []))
    private let stopRequests: AsyncStream<Duration>.Continuation

    private init(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>,
        stopRequests: AsyncStream<Duration>.Continuation
    ) {
        self.pid = execution.processIdentifier.value
        self.execution = Mutex(execution)
        self.stopRequests = stopRequests
    }

    /// Starts `executable` (a path; a name without a slash is looked up on `PATH`) with `arguments`, with
    /// `environment` added to this process's own, in `directory` when given; returns once it runs. With
    /// `ownProcessGroup`, a Ctrl-C in this process's terminal reaches this process only, which then
    /// stops its children. `onStart` is told the pid before any output is read; `onOutput` gets each
    /// chunk of output; `onExit` is called once, after the process has exited and its output has ended.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        directory: String? = nil, ownProcessGroup: Bool = false,
        onStart: @escaping @Sendable (_ pid: Int32) -> Void = { _ in },
        onOutput: @escaping @Sendable (Stream, [UInt8]) -> Void = { _, _ in },
        onExit: @escaping @Sendable (Termination) -> Void = { _ in }
    ) async throws -> ManagedProcess {
        let (stops, stopRequests) = AsyncStream<Duration>.makeStream()
        let (started, startedSink) = AsyncThrowingStream<ManagedProcess, any Error>.makeStream()
        var options = PlatformOptions()
        if ownProcessGroup { options.processGroupID = 0 }
        let updates = Dictionary(
            uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(FilePath(executable)) : .name(executable),
            arguments: Arguments(arguments), environment: .inherit.updating(updates),
            workingDirectory: directory.map { FilePath($0) }, platformOptions: options)
        Task {
            do {
                let result = try await Subprocess.run(
                    configuration, input: .none, output: .sequence, error: .sequence,
                    body: { execution in
                        let process = ManagedProcess(execution, stopRequests: stopRequests)
                        onStart(process.pid)
                        startedSink.yield(process)
                        startedSink.finish()
                        await process.attend(execution, onOutput: onOutput, stops: stops)
                        return process
                    })
                result.closureResult.exited(Termination(result.terminationStatus), onExit: onExit)
            } catch {
                startedSink.finish(throwing: ProcessError.cannotStart(executable, reason: "\(error)"))
            }
        }
        var iterator = started.makeAsyncIterator()
        guard let process = try await iterator.next() else { throw CancellationError() }
        return process
    }

    /// Hands the output of `execution` to `onOutput` until both streams end (the process is gone), then
    /// lets go of it (no signal can reach a later process with its pid); tears it down on a stop request:
    /// SIGTERM, then SIGKILL when it is still there after the request's grace.
    private func attend(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>,
        onOutput: @escaping @Sendable (Stream, [UInt8]) -> Void, stops: AsyncStream<Duration>
    ) async {
        defer { self.execution.withLock { $0 = nil } }
        await withTaskGroup(of: Bool.self) { group in
            for (stream, sequence) in [(Stream.output, execution.standardOutput), (.error, execution.standardError)] {
                group.addTask {
                    do {
                        for try await buffer in sequence {
                            onOutput(stream, buffer.withUnsafeBytes { Array($0) })
                        }
                    } catch {}
                    return true
                }
            }
            group.addTask {
                for await grace in stops {
                    await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: grace)])
                    break
                }
                return false
            }
            var ended = 0
            while ended < 2, let isOutput = await group.next() {
                if isOutput { ended += 1 }
            }
            group.cancelAll()
        }
    }

    private func exited(_ termination: Termination, onExit: @Sendable (Termination) -> Void) {
        stopRequests.finish()
        onExit(termination)
        let waiters = ended.withLock { ended in
            ended.termination = termination
            defer { ended.waiters = [] }
            return ended.waiters
        }
        for waiter in waiters { waiter.resume(returning: termination) }
    }

    /// Whether the process has not yet been seen to exit.
    public var isRunning: Bool { ended.withLock { $0.termination == nil } }

    /// Sends `signal` to the process; does nothing once it is gone.
    public func signal(_ signal: Int32) {
        execution.withLock { execution in
            try? execution?.send(signal: Signal(rawValue: signal))
        }
    }

    /// Waits until the process has exited and its output has ended; returns how it ended.
    public func termination() async -> Termination {
        await withCheckedContinuation { continuation in
            let termination = ended.withLock { ended in
                if ended.termination == nil { ended.waiters.append(continuation) }
                return ended.termination
            }
            if let termination { continuation.resume(returning: termination) }
        }
    }

    /// Stops the process: SIGTERM, SIGKILL when it is still there after `grace` (at once with `.zero`);
    /// returns how it ended.
    @discardableResult
    public func stop(grace: Duration = .seconds(2)) async -> Termination {
        if grace == .zero { signal(SIGKILL) } else { stopRequests.yield(grace) }
        return await termination()
    }

    /// Waits up to `timeout` for the process to exit; stops it (SIGTERM, SIGKILL a second later) and
    /// returns nil when it is still running then.
    public func termination(within timeout: Duration) async -> Termination? {
        await withTaskGroup(of: Termination?.self) { group in
            group.addTask { await self.termination() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if first == nil { await stop(grace: .seconds(1)) }
            return first
        }
    }
}

/// How a child process ended.
public enum Termination: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal it did not handle ended it.
    case signalled(Int32)

    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signalled(signal)
        }
    }

    /// The status a shell would give: the exit status, or 128 plus the signal's number.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited(\(code))"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }
}

/// Why a child process could not be run.
public enum ProcessError: Error, CustomStringConvertible {
    case cannotStart(String, reason: String)
    case timedOut(String, after: Duration)
    /// What was waited for in a child's output (named) did not come, and why.
    case noLine(String, reason: String)

    public var description: String {
        switch self {
        case .cannotStart(let executable, let reason): "cannot start \(executable): \(reason)"
        case .timedOut(let command, let timeout): "\(command) did not finish within \(timeout)"
        case .noLine(let what, let reason): "\(what): \(reason)"
        }
    }
}

/// What a child process that ran to completion printed, and how it ended.
public struct ProcessOutput: Sendable {
    public var termination: Termination
    /// Standard output.
    public var output: String
    /// Standard error.
    public var error: String
}

extension ManagedProcess {
    /// Runs `executable` to completion, with no standard input, and returns what it printed; stops it
    /// and throws ``ProcessError/timedOut(_:after:)`` when it is still running after `timeout`.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        directory: String? = nil, timeout: Duration
    ) async throws -> ProcessOutput {
        let printed = Mutex<[Stream: [UInt8]]>([:])
        let process = try await start(
            executable, arguments, environment: environment, directory: directory,
            onOutput: { stream, bytes in printed.withLock { $0[stream, default: []] += bytes } })
        guard let termination = await process.termination(within: timeout) else {
            throw ProcessError.timedOut(([executable] + arguments).joined(separator: " "), after: timeout)
        }
        return printed.withLock { printed in
            ProcessOutput(
                termination: termination, output: String(decoding: printed[.output] ?? [], as: UTF8.self),
                error: String(decoding: printed[.error] ?? [], as: UTF8.self))
        }
    }
}

/// Cuts a child's output into lines, each stream on its own, so that a line of standard output and one
/// of standard error never run into each other.
public struct LineSplitter: Sendable {
    private var partial: [ManagedProcess.Stream: [UInt8]] = [:]

    public init() {}

    /// The lines that `bytes` completes, without their line feeds.
    public mutating func lines(appending bytes: [UInt8], from stream: ManagedProcess.Stream) -> [String] {
        var pending = partial[stream, default: []] + bytes
        var lines: [String] = []
        while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<end], as: UTF8.self))
            pending.removeSubrange(...end)
        }
        partial[stream] = pending
        return lines
    }

    /// The unfinished last lines, once the output has ended: standard output's, then standard error's.
    public mutating func rest() -> [(stream: ManagedProcess.Stream, line: String)] {
        defer { partial = [:] }
        return [ManagedProcess.Stream.output, .error].compactMap { stream in
            partial[stream].flatMap { $0.isEmpty ? nil : (stream, String(decoding: $0, as: UTF8.self)) }
        }
    }
}
