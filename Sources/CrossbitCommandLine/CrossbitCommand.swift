public import ArgumentParser
import CrossbitCore
import Glibc

/// A root command of one of Crossbit's executables (`crossbit`,
/// `crossbitd`, `crossbit-idl`): they report errors and exit one way.
///
/// Commands throw; ArgumentParser prints the error after the tool's
/// `_errorPrefix` and exits. The one thing added to ArgumentParser's own
/// `main` is the exit status, which scripts and systemd units rely on and
/// which ArgumentParser cannot attach to a message (it exits 1 for any
/// error and 64 for bad usage):
///
/// - 0: done;
/// - 1: the work failed: a call (an ``RPCError``), a diagnostic already
///   printed (`throw ExitCode.failure`), anything unforeseen;
/// - 2: misuse: bad usage, a ``RuntimeError`` (an argument, IDL, JSON or
///   configuration that cannot be used), an ``RPCError`` with code
///   `.invalidArgument` (input the client refused before sending).
public protocol CrossbitCommand: AsyncParsableCommand {}

extension CrossbitCommand {
    /// ArgumentParser's `main`, ending through ``exit(reporting:)``.
    public static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Prints `error` as ArgumentParser would and exits with its status
    /// (``crossbitExitCode(for:)``).
    public static func exit(reporting error: any Error) -> Never {
        let code = crossbitExitCode(for: error)
        guard code != exitCode(for: error) else { exit(withError: error) }
        printError(fullMessage(for: error))
        // An ExitCode prints nothing: the message is out already.
        exit(withError: code)
    }

    /// The exit status of an error: 2 for misuse, else ArgumentParser's own
    /// (1, or 0 for a help request, or the status an `ExitCode` names).
    public static func crossbitExitCode(for error: any Error) -> ExitCode {
        let misuse = ExitCode(2)
        switch error {
        case is RuntimeError: return misuse
        case let error as RPCError where error.code == .invalidArgument: return misuse
        default:
            let code = exitCode(for: error)
            return code == .validationFailure ? misuse : code
        }
    }
}

/// Writes a line to standard error: for diagnostics and notes a command
/// prints itself before it goes on or throws `ExitCode.failure`.
public func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    // Nothing is left to do if standard error is gone: the exit status still says it.
    _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
