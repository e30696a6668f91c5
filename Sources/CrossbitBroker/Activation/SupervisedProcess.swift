import Glibc
import Logging
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// One run of an activated server's executable, through swift-subprocess.
/// Its standard output and error go to a file of its own (``ServerOutput``)
/// and to the broker's log at debug level, line by line; their end means the
/// process is gone, which `onExit` is told.
final class SupervisedProcess: Sendable {
    /// The process id.
    let pid: Int32
    /// Its output, nil when no file could be made for it (its lines are then logged at info level).
    let output: ServerOutput?
    private let stopRequests: AsyncStream<Void>.Continuation
    private let run: Task<Void, Never>

    private init(
        pid: Int32, output: ServerOutput?, stopRequests: AsyncStream<Void>.Continuation, run: Task<Void, Never>
    ) {
        self.pid = pid
        self.output = output
        self.stopRequests = stopRequests
        self.run = run
    }

    /// How long a stopped server may take to exit after SIGTERM before SIGKILL.
    static let gracePeriod: Duration = .seconds(2)

    /// util-linux's `setpriv`, which starts a server with a parent-death
    /// signal: a broker killed outright (SIGKILL), which has no chance to
    /// stop its servers, leaves none behind, as each gets SIGTERM. (The
    /// signal follows the thread that started the process: swift-subprocess
    /// starts every process from one thread that lives as long as the broker.)
    static let deathSignalLauncher = ["/usr/bin/setpriv", "/bin/setpriv"].first { (path: String) in
        access(path, X_OK) == 0
    }

    /// The program and arguments that start `executable`: through `launcher`
    /// when there is one. The launcher looks a name without a slash up in
    /// PATH, but the broker means the file it checked, in its own directory.
    static func command(
        _ executable: String, _ arguments: [String], launcher: String? = deathSignalLauncher
    ) -> (path: String, arguments: [String]) {
        guard let launcher else { return (executable, arguments) }
        let file = executable.contains("/") ? executable : "./" + executable
        return (launcher, ["--pdeathsig", "TERM", "--", file] + arguments)
    }

    /// Starts `executable`; returns once it runs. `onExit` is called once,
    /// when it has exited, with its pid and how it ended, e.g. `exited(0)`.
    static func start(
        _ executable: String, arguments: [String], environment: [String: String], logger: Logger,
        onExit: @escaping @Sendable (_ pid: Int32, _ how: String, _ output: ServerOutput?) -> Void
    ) async throws -> SupervisedProcess {
        let (stops, stopRequests) = AsyncStream<Void>.makeStream()
        let (pids, pidSink) = AsyncThrowingStream<(Int32, ServerOutput?), any Error>.makeStream()
        var options = PlatformOptions()
        // Its own process group: a Ctrl-C in the broker's terminal is the
        // broker's to handle, which then stops its servers.
        options.processGroupID = 0
        let updates = Dictionary(
            uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })
        let launch = command(executable, arguments)
        if deathSignalLauncher == nil {
            logger.warning(
                "setpriv (util-linux) is not installed: if the broker is killed, \(executable) keeps running")
        }
        let run = Task {
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(launch.path)), arguments: Arguments(launch.arguments),
                    environment: .inherit.updating(updates), platformOptions: options,
                    input: .none, output: .sequence, error: .sequence
                ) { execution in
                    let pid = execution.processIdentifier.value
                    let output = Self.output(of: executable, pid: pid, logger: logger)
                    pidSink.yield((pid, output))
                    pidSink.finish()
                    var serverLog = logger
                    serverLog[metadataKey: "pid"] = "\(pid)"
                    await relay(execution, to: output, log: serverLog, stops: stops)
                    return output
                }
                onExit(result.processIdentifier.value, "\(result.terminationStatus)", result.closureResult)
            } catch {
                // Not started, or lost: a process this broker does not know of.
                pidSink.finish(throwing: error)
            }
        }
        var iterator = pids.makeAsyncIterator()
        guard let (pid, output) = try await iterator.next() else {
            throw CancellationError()
        }
        return SupervisedProcess(pid: pid, output: output, stopRequests: stopRequests, run: run)
    }

    /// Copies the process's output lines to `output` and `log` until both
    /// streams end (the process is gone); tears it down on a stop request.
    private static func relay(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>, to output: ServerOutput?, log: Logger,
        stops: AsyncStream<Void>
    ) async {
        await withTaskGroup(of: Bool.self) { group in
            for stream in [execution.standardOutput, execution.standardError] {
                group.addTask {
                    do {
                        for try await line in stream.strings() {
                            output?.append(line)
                            log.log(level: output == nil ? .info : .debug, "\(line)")
                        }
                    } catch {}
                    return true
                }
            }
            group.addTask {
                for await _ in stops {
                    await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: gracePeriod)])
                    break
                }
                return false
            }
            // Both outputs ended: the process is gone.
            var ended = 0
            while ended < 2, let isOutput = await group.next() {
                if isOutput { ended += 1 }
            }
            group.cancelAll()
        }
    }

    /// The file for the output of `executable`'s process `pid`; nil, with a
    /// warning, when it cannot be made.
    private static func output(of executable: String, pid: Int32, logger: Logger) -> ServerOutput? {
        let name = executable.split(separator: "/").last.map(String.init) ?? "server"
        do {
            return try ServerOutput(name: name, pid: pid)
        } catch {
            logger.warning("cannot keep the output of pid \(pid) in a file (\(error)): its lines go to this log")
            return nil
        }
    }

    /// Stops the process (SIGTERM, SIGKILL after ``gracePeriod``) and waits until it is gone.
    func stop() async {
        stopRequests.yield()
        await run.value
    }
}
