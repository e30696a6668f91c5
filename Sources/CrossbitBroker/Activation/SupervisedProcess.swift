import CrossbitProcess
import Glibc
import Logging
import Synchronization

/// One run of an activated server's executable, a ``ManagedProcess``.
/// Its standard output and error go to a file of its own (``ServerOutput``)
/// and to the broker's log at debug level, line by line; `onExit` is told
/// when the process is gone and its output complete.
final class SupervisedProcess: Sendable {
    private let process: ManagedProcess
    private let relay: LineRelay
    /// The process id.
    var pid: Int32 { process.pid }
    /// Its output, nil when no file could be made for it (its lines are then logged at info level).
    var output: ServerOutput? { relay.output }

    private init(process: ManagedProcess, relay: LineRelay) {
        self.process = process
        self.relay = relay
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
    /// when there is one. A name without a slash would be looked up in PATH,
    /// but the broker means the file it checked, in its own directory.
    static func command(
        _ executable: String, _ arguments: [String], launcher: String? = deathSignalLauncher
    ) -> (path: String, arguments: [String]) {
        let file = executable.contains("/") ? executable : "./" + executable
        guard let launcher else { return (file, arguments) }
        return (launcher, ["--pdeathsig", "TERM", "--", file] + arguments)
    }

    /// Starts `executable`; returns once it runs. `onExit` is called once,
    /// when it has exited, with its pid and how it ended, e.g. `exited(0)`.
    static func start(
        _ executable: String, arguments: [String], environment: [String: String], logger: Logger,
        onExit: @escaping @Sendable (_ pid: Int32, _ how: String, _ output: ServerOutput?) -> Void
    ) async throws -> SupervisedProcess {
        if deathSignalLauncher == nil {
            logger.warning(
                "setpriv (util-linux) is not installed: if the broker is killed, \(executable) keeps running")
        }
        let relay = LineRelay(executable: executable, logger: logger)
        let launch = command(executable, arguments)
        // Its own process group: a Ctrl-C in the broker's terminal is the
        // broker's to handle, which then stops its servers.
        let process = try await ManagedProcess.start(
            launch.path, launch.arguments, environment: environment, ownProcessGroup: true,
            onStart: { pid in relay.started(pid) }, onOutput: { stream, bytes in relay.append(bytes, from: stream) },
            onExit: { termination in
                let (pid, output) = relay.finish()
                onExit(pid, "\(termination)", output)
            })
        return SupervisedProcess(process: process, relay: relay)
    }

    /// Stops the process (SIGTERM, SIGKILL after ``gracePeriod``) and waits until it is gone.
    func stop() async {
        await process.stop(grace: Self.gracePeriod)
    }
}

/// Cuts a server's output into lines for its ``ServerOutput`` file and the broker's log.
private final class LineRelay: Sendable {
    private let executable: String
    private let logger: Logger
    private let state = Mutex<(pid: Int32, output: ServerOutput?, log: Logger?, lines: LineSplitter)>(
        (0, nil, nil, LineSplitter()))

    init(executable: String, logger: Logger) {
        self.executable = executable
        self.logger = logger
    }

    var output: ServerOutput? { state.withLock { $0.output } }

    /// Makes the output file of process `pid`; before any output is read.
    func started(_ pid: Int32) {
        let output = Self.output(of: executable, pid: pid, logger: logger)
        var log = logger
        log[metadataKey: "pid"] = "\(pid)"
        state.withLock { $0 = (pid, output, log, LineSplitter()) }
    }

    func append(_ bytes: [UInt8], from stream: ManagedProcess.Stream) {
        state.withLock { state in
            for line in state.lines.lines(appending: bytes, from: stream) {
                Self.write(line, to: state.output, log: state.log)
            }
        }
    }

    /// Writes what is left of an unfinished last line; returns the pid and the output file.
    func finish() -> (pid: Int32, output: ServerOutput?) {
        state.withLock { state in
            for (_, line) in state.lines.rest() { Self.write(line, to: state.output, log: state.log) }
            return (state.pid, state.output)
        }
    }

    private static func write(_ line: String, to output: ServerOutput?, log: Logger?) {
        output?.append(line)
        log?.log(level: output == nil ? .info : .debug, "\(line)")
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
}
