import CrossbitCore
import Glibc
import NIOCore
import Synchronization

/// The text of an errno value (the broker's system calls report through it too).
package func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Writes all of `bytes` to `descriptor`, again after a signal or a partial write; false (errno says why)
/// when the descriptor refuses them. For the broker's log lines and its servers' output files.
package func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return false }
        offset += written
    }
    return true
}

/// What a NIO error says, for a message: the system's text for a failed
/// system call ("Address already in use"), else the error's own description.
func systemText(of error: any Error) -> String {
    if let error = error as? IOError { return errnoText(error.errnoCode) }
    return "\(error)"
}

/// Starts a detached POSIX thread: Crossbit's blocking I/O never runs on
/// Swift's cooperative pool.
func startThread(_ body: @escaping @Sendable () -> Void) throws(RPCError) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(
        &thread, nil,
        { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw RPCError(code: .transportFailure, message: "cannot start a thread: \(errnoText(status))")
    }
    pthread_detach(thread)
}

/// Runs a blocking operation on a thread of its own and waits for it.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws(RPCError) -> T) async throws(RPCError) -> T {
    try await runBlocking(until: .max, body, abandoned: { _ in })
}

/// Runs a blocking operation on a thread of its own and waits for it until
/// `deadline` (monotonic ns) at most, then throws `.timeout`: a name or
/// rpcbind look-up that hangs does not hold a call past its deadline. The
/// operation goes on; what it returns after that is handed to `abandoned`,
/// which releases it (closes a socket it opened).
func runBlocking<T: Sendable>(
    until deadline: Int64, _ body: @escaping @Sendable () throws(RPCError) -> T,
    abandoned: @escaping @Sendable (T) -> Void
) async throws(RPCError) -> T {
    let waiter = BlockingWaiter<T>()
    var timer: Task<Void, Never>?
    let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<T, RPCError>, Never>) in
        waiter.set(continuation)
        do throws(RPCError) {
            try startThread {
                let result = Result { () throws(RPCError) -> T in try body() }
                if !waiter.resume(returning: result), case .success(let value) = result { abandoned(value) }
            }
        } catch {
            _ = waiter.resume(returning: .failure(error))
            return
        }
        guard deadline != .max else { return }
        timer = Task {
            try? await Task.sleep(for: .nanoseconds(max(0, deadline - monotonicNanoseconds())))
            _ = waiter.resume(returning: .failure(RPCError(code: .timeout, message: "the deadline passed")))
        }
    }
    timer?.cancel()
    return try result.get()
}

/// The task waiting in a ``runBlocking(until:_:abandoned:)``: resumed once,
/// by the operation or by the deadline, whichever comes first.
private final class BlockingWaiter<T: Sendable>: Sendable {
    private let continuation = Mutex<UnsafeContinuation<Result<T, RPCError>, Never>?>(nil)

    func set(_ continuation: UnsafeContinuation<Result<T, RPCError>, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes the task unless it was resumed already; whether it did.
    func resume(returning result: Result<T, RPCError>) -> Bool {
        let waiting = continuation.withLock { waiting in
            defer { waiting = nil }
            return waiting
        }
        guard let continuation = waiting else { return false }
        continuation.resume(returning: result)
        return true
    }
}

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`, the clock systemd's
/// `MONOTONIC_USEC` is read against, which is why the broker reads it here too).
package func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// The monotonic time `timeout` ns after `now`; `.max` (no deadline) when that would overflow.
func deadline(after timeout: Int64, from now: Int64) -> Int64 {
    timeout > Int64.max - now ? Int64.max : now + timeout
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
