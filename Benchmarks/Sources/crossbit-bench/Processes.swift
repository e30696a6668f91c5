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

/// A child process whose standard output and error are collected by reader
/// threads (a chatty child never blocks on a full pipe).
final class Child: Sendable {
    let name: String
    private let process: Mutex<Process>
    private let out = Mutex("")
    private let err = Mutex("")
    private let readers = Mutex(0)
    var pid: Int32 { process.withLock { $0.processIdentifier } }

    /// Starts `executable` with `arguments`.
    init(_ executable: String, _ arguments: [String], name: String? = nil) throws {
        self.name = name ?? URL(fileURLWithPath: executable).lastPathComponent
        let process = Process()
        if let cpu = childrenCPU.withLock({ $0 }) {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["--cpu-list", "\(cpu)", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        self.process = Mutex(process)
        // Started and registered under the registry's lock, so that stopAll() sees every child.
        try runningChildren.withLock { running throws(BenchFailure) in
            guard !running.stopping else { throw BenchFailure("stopping") }
            do {
                try self.process.withLock { try $0.run() }
            } catch {
                throw BenchFailure("cannot start \(executable): \(error)")
            }
            running.children[pid] = self
        }
        collect(stdout.fileHandleForReading, standardError: false)
        collect(stderr.fileHandleForReading, standardError: true)
    }

    private func collect(_ handle: FileHandle, standardError: Bool) {
        readers.withLock { $0 += 1 }
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                let text = String(decoding: data, as: UTF8.self)
                if standardError { err.withLock { $0 += text } } else { out.withLock { $0 += text } }
            }
            readers.withLock { $0 -= 1 }
        }
    }

    var stdout: String { out.withLock { $0 } }
    var stderr: String { err.withLock { $0 } }
    var isRunning: Bool { process.withLock { $0.isRunning } }

    /// Waits until standard output (or error) holds a line containing `text`;
    /// returns that line.
    func waitForLine(containing text: String, inStandardError: Bool = false, timeout: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let output = inStandardError ? stderr : stdout
            if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if !isRunning {
                Thread.sleep(forTimeInterval: 0.05)
                throw BenchFailure("\(name) exited before printing '\(text)': \(stderr.suffix(600))")
            }
            if Date() > deadline {
                throw BenchFailure("\(name) did not print '\(text)' within \(Int(timeout)) s: \(stderr.suffix(600))")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Waits for the child to exit (killing it after `timeout`); returns its
    /// standard output, or throws when it failed.
    @discardableResult
    func finish(timeout: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline {
                stop()
                throw BenchFailure("\(name) did not finish within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        let status = process.withLock { $0.terminationStatus }
        runningChildren.withLock { _ = $0.children.removeValue(forKey: pid) }
        // The readers see end of file right after the exit.
        let drained = Date().addingTimeInterval(2)
        while readers.withLock({ $0 }) > 0 && Date() < drained { Thread.sleep(forTimeInterval: 0.001) }
        guard status == 0 else {
            throw BenchFailure("\(name) exited with status \(status): \(stderr.suffix(600))")
        }
        return stdout
    }

    /// SIGTERM, then SIGKILL if it is still there after two seconds.
    func stop() {
        if isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(2)
            while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            if isRunning {
                kill(pid, SIGKILL)
                process.withLock { $0.waitUntilExit() }
            }
        }
        runningChildren.withLock { _ = $0.children.removeValue(forKey: pid) }
    }

    /// The child's resident set size in KiB (VmRSS of /proc/PID/status).
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// Stops every child still running; with `forever`, starts no more.
    static func stopAll(forever: Bool = false) {
        let children = runningChildren.withLock { running in
            if forever { running.stopping = true }
            return Array(running.children.values)
        }
        for child in children { child.stop() }
    }
}

/// Runs a tool to completion and returns its standard output.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], timeout: Double = 120) throws -> String {
    try Child(executable, arguments).finish(timeout: timeout)
}

/// Stops the children and removes `temporary` when the benchmark is
/// interrupted; keep the returned sources alive.
func stopChildrenOnSignals(removing temporary: String) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            Child.stopAll(forever: true)
            try? FileManager.default.removeItem(atPath: temporary)
            _exit(128 + signalNumber)
        }
        source.resume()
        return source
    }
}
