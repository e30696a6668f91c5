import CrossbitProcess
import Foundation
import Synchronization

/// A benchmark step that could not be carried out: the message says which and why.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Every child still running, so that all of them are stopped on any way out;
/// once `stopping`, no new child starts.
private let runningChildren = Mutex<(children: [Int32: Child], stopping: Bool)>(([:], false))

/// The CPU every child started from now on is pinned to (with `taskset`); nil: any CPU.
let childrenCPU = Mutex<Int?>(nil)

/// A child process (a ``ManagedProcess``) whose standard output and error are kept line by line.
final class Child: Sendable {
    let name: String
    private let process = Mutex<ManagedProcess?>(nil)
    private let printed = PrintedLines()
    var pid: Int32 { process.withLock { $0?.pid ?? 0 } }

    private init(name: String) {
        self.name = name
    }

    /// Starts `executable` with `arguments` (on the CPU of ``childrenCPU``, when set).
    static func start(_ executable: String, _ arguments: [String], name: String? = nil) async throws -> Child {
        let child = Child(name: name ?? URL(fileURLWithPath: executable).lastPathComponent)
        let command = childrenCPU.withLock { $0 }.map { ["/usr/bin/taskset", "--cpu-list", "\($0)", executable] }
        guard !runningChildren.withLock({ $0.stopping }) else { throw BenchFailure("stopping") }
        let process: ManagedProcess
        do {
            process = try await ManagedProcess.start(
                command?[0] ?? executable, Array(command?.dropFirst() ?? []) + arguments,
                onOutput: { stream, bytes in child.printed.append(bytes, from: stream) },
                onExit: { _ in child.printed.end() })
        } catch {
            throw BenchFailure("cannot start \(executable): \(error)")
        }
        child.process.withLock { $0 = process }
        // Registered so that stopAll() sees every child; one that started while stopping is stopped again.
        let stopping = runningChildren.withLock { running in
            running.children[process.pid] = child
            return running.stopping
        }
        if stopping { await child.stop() }
        return child
    }

    var stdout: String { printed.text(of: [.output]) }
    var stderr: String { printed.text(of: [.error]) }
    var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// Waits until standard output (or error) holds a line containing `text`;
    /// returns that line.
    func waitForLine(
        containing text: String, inStandardError: Bool = false, timeout: Duration = .seconds(20)
    ) async throws -> String {
        do {
            return try await printed.line(
                containing: text, in: [inStandardError ? .error : .output], timeout: timeout)
        } catch {
            throw BenchFailure("\(name): \(error): \(stderr.suffix(600))")
        }
    }

    /// Waits for the child to exit (stopping it after `timeout`); returns its
    /// standard output, or throws when it failed.
    @discardableResult
    func finish(timeout: Duration = .seconds(60)) async throws -> String {
        guard let process = process.withLock({ $0 }) else { throw BenchFailure("\(name) never started") }
        let termination = await process.termination(within: timeout)
        runningChildren.withLock { _ = $0.children.removeValue(forKey: process.pid) }
        guard let termination else { throw BenchFailure("\(name) did not finish within \(timeout)") }
        guard termination == .exited(0) else {
            throw BenchFailure("\(name) \(termination): \(stderr.suffix(600))")
        }
        return stdout
    }

    /// SIGTERM, then SIGKILL if it is still there after `grace` (at once with `.zero`).
    func stop(grace: Duration = .seconds(2)) async {
        guard let process = process.withLock({ $0 }) else { return }
        await process.stop(grace: grace)
        runningChildren.withLock { _ = $0.children.removeValue(forKey: process.pid) }
    }

    /// Sends `signal`; does nothing once the child is gone.
    func signal(_ signal: Int32) {
        process.withLock { $0?.signal(signal) }
    }

    /// The child's resident set size in KiB (VmRSS of /proc/PID/status).
    var residentKiB: Int? { kilobytes("VmRSS:", in: "status") }

    /// The part of the resident set that is anonymous memory, in KiB (/proc/PID/smaps_rollup): what the
    /// child itself allocated, as against the pages of its files (which the page cache can drop and share).
    var anonymousKiB: Int? { kilobytes("Anonymous:", in: "smaps_rollup") }

    /// The CPU time the child's threads have used so far, user and system together, in ns: the first field of
    /// each /proc/PID/task/TID/schedstat (exact, where /proc/PID/stat counts clock ticks).
    var cpuNanoseconds: Int? {
        let tasks = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return nil }
        return threads.reduce(0) { total, thread in
            let text = (try? String(contentsOfFile: "\(tasks)/\(thread)/schedstat", encoding: .utf8)) ?? ""
            return total + (Int(text.split(separator: " ").first ?? "") ?? 0)
        }
    }

    /// The "NAME:   N kB" line of /proc/PID/FILE.
    private func kilobytes(_ name: String, in file: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// The children still running; with `forever`, no more start.
    private static func running(forever: Bool) -> [Child] {
        runningChildren.withLock { running in
            if forever { running.stopping = true }
            return Array(running.children.values)
        }
    }

    /// Stops every child still running; with `forever`, starts no more.
    static func stopAll(forever: Bool = false) async {
        await stop(running(forever: forever))
    }

    /// Stops `children`.
    static func stop(_ children: [Child]) async {
        for child in children { await child.stop() }
    }

    /// Kills every child at once and starts no more: for a benchmark interrupted by a signal, which
    /// cannot wait.
    static func killAll() {
        for child in running(forever: true) { child.signal(SIGKILL) }
    }
}

/// Runs a tool to completion and returns its standard output.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> String {
    try await Child.start(executable, arguments).finish(timeout: timeout)
}

/// Stops the children and removes `temporary` when the benchmark is
/// interrupted; keep the returned sources alive.
func stopChildrenOnSignals(removing temporary: String) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            Child.killAll()
            try? FileManager.default.removeItem(atPath: temporary)
            _exit(128 + signalNumber)
        }
        source.resume()
        return source
    }
}
