import CrossbitCore
import NIOCore
import Synchronization

/// One connection (or connected UDP socket) of a client, shared by all its
/// calls: each call is sent with a fresh xid, and the channel's event loop
/// matches replies to callers by xid, so calls on one connection run
/// concurrently and pipelined. Deadlines and UDP retransmission share one
/// timer of that loop, set for the earliest of them.
final class ClientConnection: Sendable {
    typealias Reply = Result<Record, RPCError>

    let channel: any Channel
    /// The calls, flushed together when several are sent in one turn of the loop (the broker's forwarding).
    private let calls: BatchedWrites
    let isDatagram: Bool
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

        var due: Int64 { min(deadline, retransmitAt) }
    }

    private struct State {
        var pending: [UInt32: Pending] = [:]
        var failure: RPCError?
        /// The loop's timer, and when it fires (monotonic ns).
        var timer: (at: Int64, task: Scheduled<Void>)?
    }

    /// The first interval between UDP retransmissions; it doubles up to 4 s.
    private static let firstRetransmitInterval: Int64 = 500_000_000

    init(
        channel: any Channel, isDatagram: Bool, address: SocketAddress,
        onClose: @escaping @Sendable (ClientConnection) -> Void
    ) {
        self.channel = channel
        calls = BatchedWrites(channel)
        self.isDatagram = isDatagram
        self.address = address
        self.onClose = onClose
        nextXid = Atomic(UInt32(truncatingIfNeeded: monotonicNanoseconds() / 1000))
    }

    /// A connection on `channel`, once its handlers are in place (a record
    /// decoder bounded by `maximumMessageSize` on a stream).
    static func adopt(
        _ channel: any Channel, datagram: Bool, address: SocketAddress, maximumMessageSize: Int,
        onClose: @escaping @Sendable (ClientConnection) -> Void
    ) async throws(RPCError) -> ClientConnection {
        let connection = ClientConnection(channel: channel, isDatagram: datagram, address: address, onClose: onClose)
        let records = RecordDecoder(maximumMessageSize: maximumMessageSize)
        do {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                if datagram {
                    try pipeline.addHandler(
                        ClientReplyHandler<AddressedEnvelope<ByteBuffer>>(connection, records: records) {
                            .datagram(Record(datagram: $0.data), from: nil)
                        })
                } else {
                    try pipeline.addHandler(ClientReplyHandler<ByteBuffer>(connection, records: records) { .bytes($0) })
                }
                // Closed before the handler could see it go.
                if !channel.isActive { connection.closed(error: nil) }
            }.get()
        } catch {
            channel.close(promise: nil)
            throw RPCError(
                code: .transportFailure, message: "cannot set up the connection to \(address.text): \(error)")
        }
        return connection
    }

    /// Sends a call and waits for its reply message (not yet decoded); nil
    /// when the connection had closed before anything was sent, so that the
    /// call can go out on a new one.
    nonisolated(nonsending) func call(
        _ procedure: ProcedureID, arguments: [UInt8], credentialFlavor: UInt32, credentials: [UInt8], timeout: Int64
    ) async -> Reply? {
        await withUnsafeContinuation { continuation in
            start(
                procedure, arguments: arguments, credentialFlavor: credentialFlavor, credentials: credentials,
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
            xid: xid, procedure: procedure, credentialFlavor: credentialFlavor, credentials: credentials,
            arguments: arguments)
        let now = monotonicNanoseconds()
        let pending = Pending(
            waiter: waiter, procedure: procedure, deadline: deadline(after: timeout, from: now),
            datagram: isDatagram ? message : nil,
            retransmitAt: isDatagram ? now + Self.firstRetransmitInterval : .max,
            retransmitInterval: Self.firstRetransmitInterval)
        let inFlight = state.withLock { state in
            guard state.failure == nil else { return 0 }
            state.pending[xid] = pending
            armTimer(&state, at: pending.due)
            return state.pending.count
        }
        guard inFlight > 0 else { return waiter.resume(returning: nil) }
        // A write that fails closes the channel, and channelInactive fails the call.
        calls.write(message.buffer(framed: !isDatagram, allocator: channel.allocator), othersInFlight: inFlight > 1)
    }

    func close() { channel.close(promise: nil) }

    /// Whether the connection has closed (its calls fail at once).
    var hasFailed: Bool { state.withLock { $0.failure != nil } }

    private func finish(_ xid: UInt32, with reply: Reply?) {
        state.withLock { $0.pending.removeValue(forKey: xid) }?.waiter.resume(returning: reply)
    }

    /// Sets the loop's timer to fire at `due` unless it fires sooner.
    private func armTimer(_ state: inout State, at due: Int64) {
        guard due != .max, state.timer.map({ due < $0.at }) ?? true else { return }
        state.timer?.task.cancel()
        let delay = TimeAmount.nanoseconds(max(0, due - monotonicNanoseconds()))
        state.timer = (due, channel.eventLoop.scheduleTask(in: delay) { [weak self] in self?.tick() })
    }

    /// Fails the calls past their deadline and sends again the datagrams due (on the loop).
    private func tick() {
        let now = monotonicNanoseconds()
        var expired: [Pending] = []
        var resend: [OutgoingMessage] = []
        state.withLock { state in
            state.timer = nil
            var next = Int64.max
            for (xid, pending) in state.pending {
                if pending.deadline <= now {
                    expired.append(pending)
                    state.pending[xid] = nil
                    continue
                }
                if pending.retransmitAt <= now, let datagram = pending.datagram {
                    resend.append(datagram)
                    let interval = min(pending.retransmitInterval * 2, 4_000_000_000)
                    state.pending[xid]?.retransmitInterval = interval
                    state.pending[xid]?.retransmitAt = now + interval
                }
                next = min(next, state.pending[xid]?.due ?? .max)
            }
            armTimer(&state, at: next)
        }
        for pending in expired {
            pending.waiter.resume(
                returning: .failure(
                    RPCError(
                        code: .timeout,
                        message: "no reply to \(pending.procedure) from \(address.text) before the deadline")))
        }
        for datagram in resend {
            channel.writeAndFlush(datagram.buffer(framed: false, allocator: channel.allocator), promise: nil)
        }
    }

    /// A reply arrived (on the loop).
    func received(_ message: Record) {
        guard let xid = ReplyMessage.xid(of: message.head) else { return }
        finish(xid, with: .success(message))
    }

    /// The channel closed (on the loop); `error` says why when it was not asked to.
    func closed(error: (any Error)?) {
        let failure = RPCError(
            code: .transportFailure,
            message: "the connection to \(address.text) is closed" + (error.map { ": \($0)" } ?? ""))
        let pending = state.withLock { state in
            if state.failure == nil { state.failure = failure }
            state.timer?.task.cancel()
            state.timer = nil
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        onClose(self)  // before resuming anyone, so that a retry opens a new connection
        for call in pending { call.waiter.resume(returning: .failure(failure)) }
    }
}

/// Hands a client channel's replies and its end to its ``ClientConnection``:
/// the records its ``RecordDecoder`` makes of a stream, datagrams on UDP.
final class ClientReplyHandler<Message>: ChannelInboundHandler {
    typealias InboundIn = Message

    private let connection: ClientConnection
    private var records: RecordDecoder
    private let message: (Message) -> Inbound
    private var error: (any Error)?

    init(_ connection: ClientConnection, records: RecordDecoder, message: @escaping (Message) -> Inbound) {
        self.connection = connection
        self.records = records
        self.message = message
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do throws(LimitExceeded) {
            let complete = try records.records(in: message(unwrapInboundIn(data)), from: context.channel)
            for (record, _) in complete { connection.received(record) }
        } catch {
            errorCaught(context: context, error: error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        records.end()
        connection.closed(error: error)
        context.fireChannelInactive()
    }
}
