import NIOCore
import Synchronization

/// Writes the messages of one stream channel, and flushes them together when several are under way.
/// A message written on the channel's event loop while other calls are in flight on the channel is
/// flushed by a task that the loop runs once it has handled the I/O under way, so that the replies to
/// several calls, or the calls that several connections forward to one server, leave in one `writev`
/// rather than one `write` each: under load, fewer system calls and fewer wake-ups of the peer. A lone
/// call's message is flushed at once (a queued flush would only add a turn of the loop to its latency),
/// and so is one written from another thread (NIO hands it to the loop either way).
final class BatchedWrites: Sendable {
    let channel: any Channel
    /// Whether a flush task is queued on the loop (touched on the loop only).
    private let flushQueued = Atomic<Bool>(false)

    init(_ channel: any Channel) {
        self.channel = channel
    }

    /// Writes `buffer`; `othersInFlight` says whether other calls are under way on the channel.
    func write(_ buffer: ByteBuffer, othersInFlight: Bool) {
        let loop = channel.eventLoop
        guard othersInFlight, loop.inEventLoop else { return channel.writeAndFlush(buffer, promise: nil) }
        channel.write(buffer, promise: nil)
        guard !flushQueued.exchange(true, ordering: .relaxed) else { return }
        loop.execute { [self] in
            flushQueued.store(false, ordering: .relaxed)
            channel.flush()
        }
    }
}
