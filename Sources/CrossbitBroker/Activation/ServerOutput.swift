import CrossbitTransport
import FoundationEssentials
import Glibc
import Synchronization

/// An activated server's standard output and error: kept whole in a file of
/// its own, while the broker's log gets only the line that matters when the
/// server fails. A Swift server that throws at top level prints one line
/// (`Fatal error: … cannot listen on 127.0.0.1:7100: Address already in use`)
/// and then a backtrace of a hundred lines, which would bury it in the log.
final class ServerOutput: Sendable {
    /// The file, `crossbitd-BROKERPID/NAME-PID.log` in the temporary folder.
    let path: String
    private let state: Mutex<State>

    private struct State {
        /// The file's descriptor; nil once closed, or after a write failed.
        var file: Int32?
        var lastErrorLine: String?
        var lastLine: String?
    }

    /// The folder of this broker's server output files.
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crossbitd-\(getpid())")

    /// Creates the file of `name`'s process `pid`; throws when it cannot.
    init(name: String, pid: Int32) throws {
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        path = Self.directory.appendingPathComponent("\(name)-\(pid).log").path
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw OutputFileError(path: path, doing: "create", reason: errnoText()) }
        state = Mutex(State(file: file))
    }

    /// Appends one line of the server's output.
    func append(_ line: String) {
        state.withLock { state in
            if Self.isErrorLine(line) { state.lastErrorLine = line }
            if !line.allSatisfy(\.isWhitespace) { state.lastLine = line }
            if let file = state.file, !Array((line + "\n").utf8).withUnsafeBytes({ writeAll($0, to: file) }) {
                // A full disk loses the rest of the file, never the server. The write's failure is the news;
                // close's result adds nothing to act on, as the descriptor is released either way.
                _ = Glibc.close(file)
                state.file = nil
            }
        }
    }

    /// The last line that reports an error (not a backtrace frame), else the
    /// last line at all; nil when the server printed nothing.
    var lastErrorLine: String? {
        state.withLock { $0.lastErrorLine ?? $0.lastLine }
    }

    /// Whether the server printed anything.
    var isEmpty: Bool { state.withLock { $0.lastLine == nil } }

    /// Closes the file; removes it when `keep` is false (a server the broker
    /// stopped itself, whose output nobody needs to read) or it is empty.
    func close(keep: Bool) throws {
        let file = state.withLock { state in
            defer { state.file = nil }
            return state.file
        }
        if let file, Glibc.close(file) != 0 {
            throw OutputFileError(path: path, doing: "close", reason: errnoText())
        }
        if !keep || isEmpty { try FileManager.default.removeItem(atPath: path) }
    }

    /// Removes the folder of the output files when none was kept (at broker shutdown).
    static func removeDirectoryIfEmpty() throws {
        let path = directory.path
        guard FileManager.default.fileExists(atPath: path),
            try FileManager.default.contentsOfDirectory(atPath: path).isEmpty
        else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Whether a line reports an error: it says "error" and is not a frame
    /// of a backtrace (those start with their number).
    static func isErrorLine(_ line: String) -> Bool {
        guard let first = line.first(where: { $0 != " " }), !first.isNumber else { return false }
        return line.lowercased().contains("error")
    }
}

/// A server's output file that could not be made or closed.
struct OutputFileError: Error, CustomStringConvertible {
    var path: String
    var doing: String
    var reason: String

    var description: String { "cannot \(doing) \(path): \(reason)" }
}
