import Foundation
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
        var file: FileHandle?
        var lastErrorLine: String?
        var lastLine: String?
    }

    /// The folder of this broker's server output files.
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crossbitd-\(getpid())")

    /// Creates the file of `name`'s process `pid`; throws when it cannot.
    init(name: String, pid: Int32) throws {
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        path = Self.directory.appendingPathComponent("\(name)-\(pid).log").path
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let file = FileHandle(forWritingAtPath: path)
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        state = Mutex(State(file: file))
    }

    /// Appends one line of the server's output.
    func append(_ line: String) {
        state.withLock { state in
            if Self.isErrorLine(line) { state.lastErrorLine = line }
            if !line.allSatisfy(\.isWhitespace) { state.lastLine = line }
            do {
                try state.file?.write(contentsOf: Data((line + "\n").utf8))
            } catch {
                state.file = nil  // a full disk loses the rest of the file, never the server
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
        try file?.close()
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
