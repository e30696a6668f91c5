import CrossbitCore
import Synchronization

/// One connection (or connected UDP socket) of a client, shared by all its
/// calls: each call is sent from the caller's thread with a fresh xid, and
/// the channel's event loop matches replies to callers by xid, so calls on one
/// connection run concurrently and pipelined. Deadlines and UDP
/// retransmission are timers of that loop.
final class ClientConnection: ChannelHandler {
    typealias Reply = Result<[UInt8], RPCError>

    let channel: Channel
    let address: SocketAddress
    private let onClose: @Sendable (ClientConnection) -> Void
    private let nextXid: Atomic<UInt32>
    private let state = Mutex(State())

    /// Who waits for a reply: a suspended task, or a completion handler (run on the loop's thread).
    enum Waiter: Sendable {
        case task(UnsafeContinuation<Reply?, Never>)
        case handler(@Sendable (Reply?) -> Void)

        func resume(returning reply: Reply?) {
            switch self {
            case .task(let continuation): continuation.resume(returning: reply)
            case .handler(let handler): handler(reply)
            }
        }
    }

    private struct Pending {
        var waiter: Waiter
        var procedure: ProcedureID
        var deadline: Int64
        /// For UDP: the datagram and when to send it again.
        var datagram: OutgoingMessage?
        var retransmitAt: Int64
        var retransmitInterval: Int64
    }

    private struct State {
        var pending: [UInt32: Pending] = [:]
        var failure: RPCError?
    }

    /// The first interval between UDP retransmissions; it doubles up to 4 s.
    private static let firstRetransmitInterval: Int64 = 500_000_000

    init(channel: Channel, address: SocketAddress, onClose: @escaping @Sendable (ClientConnection) -> Void) {
        self.channel = channel
        self.address = address
        self.onClose = onClose
        nextXid = Atomic(UInt32(truncatingIfNeeded: monotonicNanoseconds() / 1000))
    }

    /// Sends a call and waits for its reply message (not yet decoded); nil
    /// when the connection had closed before anything was sent, so that the
    /// call can go out on a new one.
    nonisolated(nonsending) func call(
        _ procedure: ProcedureID, arguments: [UInt8], credentialFlavor: UInt32, credentials: [UInt8], timeout: Int64
    ) async -> Reply? {
        await withUnsafeContinuation { continuation in
            start(procedure, arguments: arguments, credentialFlavor: credentialFlavor, credentials: credentials,
                  timeout: timeout, waiter: .task(continuation))
        }
    }

    /// Sends a call; `waiter` gets its reply as `call` returns it.
    func start(
        _ procedure: ProcedureID, arguments: [UInt8], credentialFlavor: UInt32, credentials: [UInt8], timeout: Int64,
        waiter: Waiter
    ) {
        let xid = nextXid.add(1, ordering: .relaxed).newValue
        let message = CallMessage.encode(
            xid: xid, procedure: procedure, credentialFlavor: credentialFlavor, credentials: credentials, arguments: arguments)
        let now = monotonicNanoseconds()
        let deadline = deadline(after: timeout, from: now)
        let pending = Pending(
            waiter: waiter, procedure: procedure, deadline: deadline,
            datagram: channel.isDatagram ? message : nil,
            retransmitAt: channel.isDatagram ? now + Self.firstRetransmitInterval : .max,
            retransmitInterval: Self.firstRetransmitInterval)
        let failure = state.withLock { state -> RPCError? in
            if let failure = state.failure { return failure }
            state.pending[xid] = pending
            return nil
        }
        if failure != nil {
            waiter.resume(returning: nil)
            return
        }
        do throws(RPCError) {
            if try channel.sendIfOpen(message) {
                channel.loop.wake(before: min(deadline, pending.retransmitAt))
            } else {
                onClose(self)
                finish(xid, with: nil)
            }
        } catch {
            // The call may be partly sent: it fails, and the connection is given up at once.
            onClose(self)
            channel.abort()
            finish(xid, with: .failure(error))
        }
    }

    func close() { channel.close() }

    /// Whether the connection has closed (its calls fail at once).
    var hasFailed: Bool { state.withLock { $0.failure != nil } }

    private func finish(_ xid: UInt32, with reply: Reply?) {
        state.withLock { $0.pending.removeValue(forKey: xid) }?.waiter.resume(returning: reply)
    }

    // MARK: ChannelHandler

    func received(_ message: [UInt8], from peer: SocketAddress?, on channel: Channel) {
        guard let xid = ReplyMessage.xid(of: message) else { return }
        finish(xid, with: .success(message))
    }

    func nextTick() -> Int64? {
        state.withLock { state in
            state.pending.values.lazy.map { min($0.deadline, $0.retransmitAt) }.min()
        }
    }

    func tick(now: Int64, on channel: Channel) {
        var expired: [Pending] = []
        var resend: [OutgoingMessage] = []
        state.withLock { state in
            for (xid, pending) in state.pending {
                if pending.deadline <= now {
                    expired.append(pending)
                    state.pending[xid] = nil
                } else if pending.retransmitAt <= now, let datagram = pending.datagram {
                    resend.append(datagram)
                    let interval = min(pending.retransmitInterval * 2, 4_000_000_000)
                    state.pending[xid]?.retransmitInterval = interval
                    state.pending[xid]?.retransmitAt = now + interval
                }
            }
        }
        for pending in expired {
            pending.waiter.resume(returning: .failure(RPCError(
                code: .timeout, message: "no reply to \(pending.procedure) from \(address) before the deadline")))
        }
        for datagram in resend { try? channel.send(datagram) }
    }

    func closed(_ channel: Channel, error: RPCError?) {
        let failure = RPCError(
            code: .transportFailure,
            message: "the connection to \(address) is closed" + (error.map { ": \($0.message)" } ?? ""))
        let pending = state.withLock { state in
            state.failure = failure
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        onClose(self)  // before resuming anyone, so that a retry opens a new connection
        for call in pending { call.waiter.resume(returning: .failure(failure)) }
    }
}
