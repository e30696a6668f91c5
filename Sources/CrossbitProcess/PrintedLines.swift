import Synchronization

/// What a child process printed, line by line and in the order the lines came, for those who wait for a
/// line: the peers the tests and benchmarks start print one when they are ready to serve. A waiter is
/// woken by the line it waits for (no polling), or told that the output ended or the time ran out.
///
/// Feed it from ``ManagedProcess/start(_:_:environment:directory:ownProcessGroup:onStart:onOutput:onExit:)``:
/// ``append(_:from:)`` from `onOutput`, ``end()`` from `onExit`.
public final class PrintedLines: Sendable {
    /// One complete line and the stream it came from.
    public struct Line: Sendable {
        public var stream: ManagedProcess.Stream
        public var text: String
    }

    private struct Waiter {
        var id: Int
        var what: String
        var found: @Sendable ([Line]) -> String?
        var continuation: CheckedContinuation<Result<String, ProcessError>, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var lines: [Line] = []
        var splitter = LineSplitter()
        var ended = false
        var waiters: [Waiter] = []
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds the lines that `bytes` completes; wakes the waiters whose line has come.
    public func append(_ bytes: [UInt8], from stream: ManagedProcess.Stream) {
        update { state in
            state.lines += state.splitter.lines(appending: bytes, from: stream).map { Line(stream: stream, text: $0) }
        }
    }

    /// The output has ended: adds the unfinished last lines and wakes every waiter.
    public func end() {
        update { state in
            state.lines += state.splitter.rest().map { Line(stream: $0.stream, text: $0.line) }
            state.ended = true
        }
    }

    /// The lines so far, of `streams` only, each followed by a line feed.
    public func text(of streams: Set<ManagedProcess.Stream> = [.output, .error]) -> String {
        state.withLock { Self.text(of: $0.lines.filter { streams.contains($0.stream) }) }
    }

    /// `lines` as text, each followed by a line feed.
    public static func text(of lines: [Line]) -> String {
        lines.map { $0.text + "\n" }.joined()
    }

    /// Waits for a line of `streams` that contains `marker` (any line when it is empty) and returns it;
    /// throws ``ProcessError/noLine(_:reason:)`` when the output ends or `timeout` passes first.
    public func line(
        containing marker: String, in streams: Set<ManagedProcess.Stream> = [.output, .error], timeout: Duration
    ) async throws(ProcessError) -> String {
        try await first(named: "a line with '\(marker)'", within: timeout) { lines in
            lines.first { streams.contains($0.stream) && (marker.isEmpty || $0.text.contains(marker)) }?.text
        }
    }

    /// Waits until `found` picks something out of the lines so far (it is asked again as lines come);
    /// throws ``ProcessError/noLine(_:reason:)``, naming `what`, when the output ends or `timeout`
    /// passes first.
    public func first(
        named what: String, within timeout: Duration, where found: @escaping @Sendable ([Line]) -> String?
    ) async throws(ProcessError) -> String {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let result = await withCheckedContinuation { continuation in
            update { state in
                state.waiters.append(Waiter(id: id, what: what, found: found, continuation: continuation))
            }
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                self.resume(id, with: .failure(.noLine(what, reason: "not printed within \(timeout)")))
            }
            // The timer is kept only while the waiter waits: one already answered stops it at once.
            let waiting = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                state.waiters[index].timer = timer
                return true
            }
            if !waiting { timer.cancel() }
        }
        return try result.get()
    }

    /// Changes the state, then resumes (outside the lock) every waiter whose line has come, and all of them
    /// once the output has ended.
    private func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { state in
            change(&state)
            var ready: [(Waiter, Result<String, ProcessError>)] = []
            state.waiters.removeAll { waiter in
                if let line = waiter.found(state.lines) {
                    ready.append((waiter, .success(line)))
                } else if state.ended {
                    ready.append((waiter, .failure(.noLine(waiter.what, reason: "the output ended first"))))
                } else {
                    return false
                }
                return true
            }
            return ready
        }
        for (waiter, result) in ready {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: result)
        }
    }

    private func resume(_ id: Int, with result: Result<String, ProcessError>) {
        let waiter = state.withLock { state in
            state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
        }
        waiter?.continuation.resume(returning: result)
    }
}
