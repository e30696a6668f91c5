import Foundation

/// `crossbit-soak run`: the settings (`--seconds`, `--products` for crossbitd and
/// crossbit-idl, `--repository`, `--pause-ms` between a client's calls).
struct SoakSettings {
    var seconds = 600
    var products = ".build/release"
    var repository = FileManager.default.currentDirectoryPath
    var pauseMilliseconds = 5
    /// A fault every this many seconds.
    var faultInterval = 30
    /// Clients of each language (half to a server the soak runs, half to an activated one).
    var clientsPerLanguage = 16

    init(arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchFailure("\(flag) needs a value") }
            switch flag {
            case "--seconds": seconds = try Self.number(value, flag)
            case "--products": products = value
            case "--repository": repository = value
            case "--pause-ms": pauseMilliseconds = try Self.number(value, flag)
            default:
                throw BenchFailure(
                    "usage: crossbit-soak run [--seconds N] [--products DIR] [--repository DIR] [--pause-ms N]")
            }
        }
    }

    private static func number(_ text: String, _ flag: String) throws -> Int {
        guard let value = Int(text), value >= 0 else { throw BenchFailure("\(flag): '\(text)' is not a number") }
        return value
    }
}

/// Seconds since the soak began, for its log lines.
private let soakStart = Date()

func soakLog(_ message: String) {
    let seconds = Int(Date().timeIntervalSince(soakStart))
    FileHandle.standardError.write(Data("soak [\(seconds) s] \(message)\n".utf8))
}

/// A server the soak runs itself and restarts after it was killed, 2 s later,
/// as systemd's `Restart=always` with `RestartSec=2` would.
final class RestartedServer {
    let name: String
    private let executable: String
    private let arguments: [String]
    private(set) var child: Child

    static let restartDelay: Double = 2

    init(name: String, executable: String, arguments: [String]) async throws {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        child = try await Self.start(name, executable, arguments)
    }

    private static func start(_ name: String, _ executable: String, _ arguments: [String]) async throws -> Child {
        let child = try await Child.start(executable, arguments, name: name)
        _ = try await child.waitForLine(containing: "READY")
        return child
    }

    /// SIGKILL; then, after the restart delay, a new process on the same address.
    func killAndRestart() async throws -> String {
        let old = child.pid
        await child.stop(grace: .zero)  // SIGKILL; reaps it and forgets it
        try await Task.sleep(for: .seconds(Self.restartDelay))
        child = try await Self.start(name, executable, arguments)
        return "SIGKILL to the \(name) (pid \(old)); restarted \(Int(Self.restartDelay)) s later as pid \(child.pid)"
    }

    /// SIGSTOP, then SIGCONT `seconds` later.
    func pause(for seconds: Double) async throws -> String {
        child.signal(SIGSTOP)
        try await Task.sleep(for: .seconds(seconds))
        child.signal(SIGCONT)
        return "SIGSTOP to the \(name) (pid \(child.pid)), SIGCONT \(Int(seconds)) s later"
    }
}

/// What the soak watches of a process in /proc.
enum ProcFS {
    /// The number of open descriptors of `pid`.
    static func descriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// The open descriptors of `pid` by kind (`socket`, `pipe`, `anon_inode:[eventfd]`, a file's path).
    static func descriptorKinds(of pid: Int32) -> [String: Int] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        var kinds: [String: Int] = [:]
        for entry in entries {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)")) ?? "?"
            kinds[
                target.split(separator: ":").first.map(String.init) == "socket"
                    ? "socket"
                    : target.hasPrefix("pipe:") ? "pipe" : target, default: 0] += 1
        }
        return kinds
    }

    /// The descriptor count of `pid` once it holds still for 2 s (sampled every
    /// 250 ms, for at most 30 s): connections that closed are gone by then.
    static func settledDescriptors(of pid: Int32) -> Int {
        var last = descriptors(of: pid)
        var steady = 0
        let deadline = Date().addingTimeInterval(30)
        while steady < 8 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.25)
            let now = descriptors(of: pid)
            steady = now == last ? steady + 1 : 0
            last = now
        }
        return last
    }

    /// The running child of `parent` whose executable is `executable`.
    static func child(of parent: Int32, executable: String) -> Int32? {
        let wanted = URL(fileURLWithPath: executable).resolvingSymlinksInPath().path
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 1, fields[0] != "Z", Int32(fields[1]) == parent,
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == wanted
            else { continue }
            return pid
        }
        return nil
    }
}
