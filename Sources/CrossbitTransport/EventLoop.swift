import CrossbitCore
import Glibc
import Synchronization

/// A thread that polls a set of channels and runs the timers of their
/// handlers, and a `TaskExecutor` that runs Swift jobs between polls.
///
/// A task that prefers a client's loop (``RPCClient/executor``) sends its
/// calls and is resumed by their replies on this one thread, like a C client
/// blocking in `clnt_call`: no thread switch per call.
final class EventLoop: TaskExecutor, Sendable {
    private let waker: Waker
    /// When the loop's poll returns at the latest (monotonic ns); `.min` while it is busy.
    private let pollDeadline = Atomic<Int64>(.min)
    private let threadID = Atomic<UInt>(0)
    private let state = Mutex(State())

    private struct State {
        var jobs: [UnownedJob] = []
        var added: [Entry] = []
        var stopping = false
        var stopped = false
    }

    private struct Entry: @unchecked Sendable {
        let channel: Channel
        let handler: any ChannelHandler
        var assembler: RecordAssembler
    }

    /// How long an idle loop sleeps between ticks.
    private static let idleTick: Int64 = 1_000_000_000

    /// A loop on a thread of its own, running until ``stop()``.
    init() throws(RPCError) {
        waker = try Waker()
        try startThread { self.run() }
    }

    /// Adds a channel: from now on the loop reads it and writes its backlog.
    /// False, having added nothing, when the loop has stopped.
    @discardableResult
    func add(_ channel: Channel, handler: any ChannelHandler) -> Bool {
        let entry = Entry(
            channel: channel, handler: handler, assembler: RecordAssembler(maximumMessageSize: channel.maximumMessageSize))
        let added = state.withLock { state in
            if !state.stopped { state.added.append(entry) }
            return !state.stopped
        }
        if added { wake() }
        return added
    }

    /// Whether the loop's thread has ended (it reads no more channels).
    var hasStopped: Bool { state.withLock { $0.stopped } }

    /// Closes every channel (each sends what it has queued, within its
    /// linger time) and ends the thread once they are gone.
    func stop() {
        state.withLock { $0.stopping = true }
        wake()
    }

    func wake() { if !isCurrentThread { waker.wake() } }

    /// Wakes the loop if its poll would sleep past `deadline`.
    func wake(before deadline: Int64) {
        if deadline < pollDeadline.load(ordering: .sequentiallyConsistent) { waker.wake() }
    }

    private var isCurrentThread: Bool { threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (first, stopped) = state.withLock { state in
            if !state.stopped { state.jobs.append(job) }
            return (state.jobs.count == 1, state.stopped)
        }
        if stopped {
            // The loop is gone (its client was closed): run the job on a thread of its own, or here.
            do { try startThread { job.runSynchronously(on: self.asUnownedTaskExecutor()) } } catch {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        } else if first {
            wake()
        }
    }

    /// Runs the jobs enqueued so far, and those they enqueue. `batch` is the
    /// loop's spare buffer, swapped with the queue so that neither reallocates.
    private func runJobs(_ batch: inout [UnownedJob]) {
        while true {
            state.withLock { swap(&$0.jobs, &batch) }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
        var entries: [Entry] = []
        var buffer = [UInt8](repeating: 0, count: Channel.maximumDatagramSize)  // a datagram is read whole
        var fds: [pollfd] = []
        var batch: [UnownedJob] = []
        while true {
            runJobs(&batch)
            let (added, stopping) = state.withLock { state in
                defer { state.added = [] }
                return (state.added, state.stopping)
            }
            entries += added
            if stopping { entries.forEach { $0.channel.close() } }
            let now = monotonicNanoseconds()
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: waker.fd, events: Int16(POLLIN), revents: 0))
            entries.removeAll { entry in
                guard let events = entry.channel.events(now: now) else {
                    finish(entry, error: nil)
                    return true
                }
                fds.append(pollfd(fd: entry.channel.fd, events: events, revents: 0))
                return false
            }
            if stopping && entries.isEmpty {
                let stopped = state.withLock { state -> Bool in
                    guard state.jobs.isEmpty && state.added.isEmpty else { return false }
                    state.stopped = true
                    return true
                }
                if stopped { break } else { continue }
            }
            pollDeadline.store(now + Self.idleTick, ordering: .sequentiallyConsistent)
            var deadline = now + Self.idleTick
            var nextTick = Int64.max
            for entry in entries {
                if let tick = entry.handler.nextTick() { nextTick = min(nextTick, tick) }
                if let linger = entry.channel.lingerDeadline { deadline = min(deadline, linger) }
            }
            deadline = min(deadline, nextTick)
            if state.withLock({ !$0.jobs.isEmpty || !$0.added.isEmpty }) { deadline = now }
            pollDeadline.store(deadline, ordering: .sequentiallyConsistent)
            let timeout = Int32(clamping: max(0, (deadline - now + 999_999) / 1_000_000))
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            pollDeadline.store(.min, ordering: .sequentiallyConsistent)
            if ready < 0 && errno != EINTR { break }
            if fds[0].revents != 0 { waker.drain() }
            var failed: [(Int, RPCError)] = []
            for index in entries.indices where fds[index + 1].revents != 0 {
                let events = fds[index + 1].revents
                do throws(RPCError) {
                    if events & Int16(POLLOUT) != 0 { try entries[index].channel.flushBacklog() }
                    if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                        try entries[index].channel.receive(
                            into: &buffer, assembler: &entries[index].assembler, handler: entries[index].handler)
                    }
                } catch {
                    failed.append((index, error))
                }
            }
            for (index, error) in failed.reversed() {
                let entry = entries.remove(at: index)
                entry.channel.abort()
                finish(entry, error: error)
            }
            // Timers set by this iteration's calls are due later; those due now were known before the poll.
            let tickTime = monotonicNanoseconds()
            if tickTime >= nextTick {
                for entry in entries { entry.handler.tick(now: tickTime, on: entry.channel) }
            }
        }
        for entry in entries {
            entry.channel.abort()
            finish(entry, error: nil)
        }
        state.withLock { $0.stopped = true }
    }

    private func finish(_ entry: Entry, error: RPCError?) {
        Glibc.close(entry.channel.fd)
        entry.handler.closed(entry.channel, error: error)
    }
}
