import Dispatch
import NIOCore
import NIOPosix
import Synchronization

/// A SwiftNIO event loop as a Swift `TaskExecutor`: a task that prefers it
/// runs its jobs on the loop's thread, between the loop's I/O.
///
/// A task that prefers a client's loop (``RPCClient/executor``) sends its
/// calls and is resumed by their replies on this one thread, like a C client
/// blocking in `clnt_call`: no thread switch per call. (NIO's loops are
/// `SerialExecutor`s but not `TaskExecutor`s; this is the adapter.)
final class EventLoopExecutor: TaskExecutor, Sendable {
    let loop: any EventLoop
    private let stopped = Atomic(false)

    init(_ loop: any EventLoop) { self.loop = loop }

    /// Whether the loop was shut down (or is about to be): it reads nothing more.
    var hasStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Marks the loop as stopping, before its group shuts down: jobs enqueued
    /// from now on run on a Dispatch thread instead of being dropped by NIO.
    func markStopped() { stopped.store(true, ordering: .releasing) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        guard !hasStopped else {
            DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            return
        }
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executors of a group's loops, one per loop, in the group's order.
    static func all(of group: any EventLoopGroup) -> [EventLoopExecutor] {
        group.makeIterator().map { EventLoopExecutor($0) }
    }

    /// One executor per loop of NIO's shared group, where clients that are
    /// given no loop run (the group lives as long as the process).
    static let shared = all(of: MultiThreadedEventLoopGroup.singleton)

    private static let nextShared = Atomic(0)

    /// The shared loops in turn.
    static func nextSharedExecutor() -> EventLoopExecutor {
        shared[nextShared.add(1, ordering: .relaxed).oldValue % shared.count]
    }
}
