import CrossbitBrokerControl
import CrossbitCore
import CrossbitELF
import CrossbitTransport
import Logging
import Synchronization

/// The server of one activated route: started by the first call, restarted
/// by the first call after a crash (after a back-off), stopped when idle
/// and at shutdown. Safe to use from any thread.
final class ActivatedServer: Sendable {
    let route: ServerRoute
    let activation: BrokerConfiguration.Activation
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// The start under way or done; nil when no process runs.
        var start: Task<Void, any Error>?
        var process: SupervisedProcess?
        var callsInFlight = 0
        var lastUse = ContinuousClock.now
        /// Crashes in a row, for the back-off.
        var crashes = 0
        var lastStart: ContinuousClock.Instant?
        /// Processes started so far (the first start, then restarts), for the metrics.
        var starts = 0
        var shutDown = false
    }

    init(route: ServerRoute, activation: BrokerConfiguration.Activation, logger: Logger) {
        self.route = route
        self.activation = activation
        var logger = logger
        logger[metadataKey: "server"] = "\(activation.executable.split(separator: "/").last ?? "")"
        self.logger = logger
    }

    /// Whether the server process is running, being started, or neither.
    var serverState: BrokerControl.BrokerServerState {
        state.withLock { state in
            if state.process != nil { return .running }
            return state.start == nil ? .stopped : .starting
        }
    }

    /// How many processes the broker started for this route so far.
    var startCount: Int {
        state.withLock { $0.starts }
    }

    /// The delay before a restart after `crashes` crashes in a row: 0.1 s, doubling, at most 5 s.
    static func backOff(afterCrashes crashes: Int) -> Duration {
        crashes == 0 ? .zero : min(.milliseconds(100 << min(crashes - 1, 6)), .seconds(5))
    }

    /// A process that ran this long before it crashed was not in a crash loop.
    static let stableRun: Duration = .seconds(30)

    /// The crashes in a row after a process that ran for `lived` crashed, `previous` before it: a crash after
    /// a stable run starts the count again, so that a server killed now and then over days is restarted after
    /// the first back-off, not the longest.
    static func crashesInARow(after previous: Int, lived: Duration) -> Int {
        lived >= stableRun ? 1 : previous + 1
    }

    /// Waits until the server runs and is ready, starting it if needed.
    /// Every successful call must be balanced by ``callFinished()``.
    func prepareCall() async throws(RPCError) {
        let start = try state.withLock { state throws(RPCError) -> Task<Void, any Error> in
            guard !state.shutDown else {
                throw RPCError(code: .systemError, message: "the broker is shutting down")
            }
            state.callsInFlight += 1
            state.lastUse = .now
            if let start = state.start { return start }
            let start = Task { try await self.launch() }
            state.start = start
            return start
        }
        do {
            try await start.value
        } catch {
            state.withLock { state in
                state.callsInFlight -= 1
                if state.start == start, state.process == nil { state.start = nil }
            }
            throw RPCError(
                code: .systemError, message: "cannot start the server \(activation.executable): \(error)",
                cause: error as? RPCError)
        }
    }

    /// Marks the end of a call begun by a successful ``prepareCall()``.
    func callFinished() {
        state.withLock { state in
            state.callsInFlight -= 1
            state.lastUse = .now
        }
    }

    /// Starts the process, after the back-off, and waits until it answers.
    private func launch() async throws {
        let delay = state.withLock { state in
            let wait = Self.backOff(afterCrashes: state.crashes)
            guard let last = state.lastStart else { return Duration.zero }
            return max(.zero, wait - (ContinuousClock.now - last))
        }
        if delay > .zero {
            logger.notice("restarting after a back-off of \(Int(delay / .milliseconds(1))) ms")
            try await Task.sleep(for: delay)
        }
        let process = try await SupervisedProcess.start(
            activation.executable, arguments: activation.arguments,
            environment: ["CROSSBIT_LISTEN": "\(route.url)", "CROSSBIT_LAYOUT": route.layout.rawValue],
            logger: logger
        ) { [weak self] pid, how, output in
            self?.exited(pid, how, output: output)
        }
        let stillWanted = state.withLock { state in
            state.lastStart = .now
            state.starts += 1
            guard !state.shutDown else { return false }
            state.process = process
            return true
        }
        guard stillWanted else {
            await process.stop()
            throw RPCError(code: .systemError, message: "the broker is shutting down")
        }
        let elf = (try? ELFHeader(contentsOf: activation.executable)).map { ", \($0)" } ?? ""
        let output = process.output.map { "; its output goes to \($0.path)" } ?? ""
        logger.info(
            "started \(activation) as pid \(process.pid)\(elf); waiting until it answers at \(route.url)\(output)")
        do {
            try await waitUntilReady(process)
        } catch {
            logger.error("the server did not become ready: \(error)")
            await stop(process, because: "it did not become ready")
            throw error
        }
        logger.info("pid \(process.pid) is ready")
        if let idle = activation.idleTimeout {
            Task { await self.stopWhenIdle(process, after: idle) }
        }
    }

    /// Calls procedure 0 (NULL) at the route's address until it answers,
    /// the process exits, or the ready timeout passes.
    private func waitUntilReady(_ process: SupervisedProcess) async throws(RPCError) {
        let deadline = ContinuousClock.now + activation.readyTimeout
        let null = ProcedureID(program: route.program, version: route.version, procedure: 0)
        var lastError: RPCError?
        while ContinuousClock.now < deadline {
            guard state.withLock({ $0.process === process }) else {
                let last = process.output?.lastErrorLine.map { ": \($0)" } ?? ""
                throw RPCError(code: .systemError, message: "it exited before it was ready\(last)")
            }
            do {
                let client = try RPCClient(
                    address: route.url, layout: route.layout, options: .init(defaultTimeout: .seconds(1)))
                defer { client.close() }
                _ = try await client.call(null, arguments: [], options: .defaults)
                return
            } catch {
                lastError = error
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw RPCError(
            code: .timeout,
            message: "no answer at \(route.url) within \(activation.readyTimeout)"
                + (lastError.map { ": \($0.message)" } ?? ""))
    }

    /// Called once when a process has exited, whether stopped or crashed,
    /// with its output complete. A crash is logged with the server's last
    /// error line and the file that keeps all of its output; the output of
    /// a server the broker stopped is removed.
    private func exited(_ pid: Int32, _ how: String, output: ServerOutput?) {
        let crashed = state.withLock { state -> SupervisedProcess? in
            // Only the process recorded as running has crashed: a stopped one was removed first.
            guard let process = state.process, process.pid == pid, !state.shutDown else { return nil }
            state.process = nil
            state.start = nil
            let lived = state.lastStart.map { ContinuousClock.now - $0 } ?? .zero
            state.crashes = Self.crashesInARow(after: state.crashes, lived: lived)
            return process
        }
        if let crashed {
            let last = output?.lastErrorLine.map { ": \($0)" } ?? ""
            let file = output.flatMap { $0.isEmpty ? nil : "; its whole output is in \($0.path)" } ?? ""
            logger.warning(
                "pid \(crashed.pid) exited unexpectedly (\(how))\(last)\(file); the next call starts it again")
        }
        do {
            try output?.close(keep: crashed != nil)
        } catch {
            logger.warning("cannot close or remove the output of pid \(pid): \(error)")
        }
    }

    /// Stops the process once no call has used it for `idle`.
    private func stopWhenIdle(_ process: SupervisedProcess, after idle: Duration) async {
        let tick = min(idle / 4, .seconds(1))
        while true {
            try? await Task.sleep(for: tick)
            let verdict = state.withLock { state -> Bool? in
                guard state.process === process else { return nil }  // gone: stop watching
                guard state.callsInFlight == 0, ContinuousClock.now - state.lastUse >= idle else { return false }
                return true
            }
            guard let verdict else { return }
            if verdict {
                await stop(process, because: "idle for \(idle)")
                return
            }
        }
    }

    /// Forgets `process` as the running one and stops it.
    private func stop(_ process: SupervisedProcess, because reason: String) async {
        let wasRunning = state.withLock { state in
            guard state.process === process else { return false }
            state.process = nil
            state.start = nil
            state.crashes = 0
            return true
        }
        if wasRunning { logger.info("stopping pid \(process.pid): \(reason)") }
        await process.stop()
    }

    /// Stops the server once the calls that started on it have finished:
    /// a reload removed or changed its route.
    func retire() async {
        while state.withLock({ $0.callsInFlight > 0 }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        await shutDown()
    }

    /// Stops the server, if it runs, and refuses to start it again.
    func shutDown() async {
        let (process, start) = state.withLock { state in
            state.shutDown = true
            defer {
                state.process = nil
                state.start = nil
            }
            return (state.process, state.start)
        }
        _ = await start?.result
        if let process {
            logger.info("stopping pid \(process.pid): the broker is shutting down")
            await process.stop()
        }
    }
}
