import CrossbitProcess
import Glibc
import Testing

/// The child-process runner the broker, the tests and the benchmarks share, with real `sh` children.
@Suite("Child processes and their printed lines")
struct PrintedLinesTests {
    /// Starts `sh -c script` with its output fed to `lines`.
    private func shell(_ script: String, into lines: PrintedLines) async throws -> ManagedProcess {
        try await ManagedProcess.start(
            "/bin/sh", ["-c", script],
            onOutput: { stream, bytes in lines.append(bytes, from: stream) }, onExit: { _ in lines.end() })
    }

    @Test("a waiter is woken by the line it waits for, printed after it began to wait")
    func lineAfterWaiting() async throws {
        let lines = PrintedLines()
        let process = try await shell("sleep 0.3; printf 'starting\\nREADY on port 7\\n'; sleep 30", into: lines)
        let line = try await lines.line(containing: "READY", timeout: .seconds(20))
        #expect(line == "READY on port 7")
        #expect(await process.stop(grace: .seconds(5)) == .signalled(SIGTERM))
    }

    @Test("standard output and error are kept apart, a line each, also when they interleave")
    func streamsApart() async throws {
        let lines = PrintedLines()
        let process = try await shell("printf 'out1\\n'; printf 'err1\\nerr2' >&2; printf 'out2'", into: lines)
        #expect(await process.termination() == .exited(0))
        #expect(lines.text(of: [.output]) == "out1\nout2\n")
        #expect(lines.text(of: [.error]) == "err1\nerr2\n")
        let onError = try await lines.line(containing: "1", in: [.error], timeout: .seconds(1))
        #expect(onError == "err1")
    }

    @Test("a line that never comes: an error once the output ends, or once the time is up")
    func lineThatNeverComes() async throws {
        let ended = PrintedLines()
        _ = try await shell("echo other", into: ended)
        let afterEnd = await #expect(throws: ProcessError.self) {
            try await ended.line(containing: "READY", timeout: .seconds(20))
        }
        #expect("\(afterEnd.map { "\($0)" } ?? "")".contains("the output ended first"))

        let silent = PrintedLines()
        let process = try await shell("sleep 30", into: silent)
        let timedOut = await #expect(throws: ProcessError.self) {
            try await silent.line(containing: "READY", timeout: .milliseconds(200))
        }
        #expect("\(timedOut.map { "\($0)" } ?? "")".contains("not printed within"))
        await process.stop(grace: .zero)
    }

    @Test("stop sends SIGTERM, then SIGKILL to a child that ignores it")
    func stopEscalates() async throws {
        let lines = PrintedLines()
        let process = try await shell("trap '' TERM; echo armed; while :; do sleep 1; done", into: lines)
        _ = try await lines.line(containing: "armed", timeout: .seconds(20))
        #expect(await process.stop(grace: .milliseconds(300)) == .signalled(SIGKILL))
        #expect(!process.isRunning)
    }
}
