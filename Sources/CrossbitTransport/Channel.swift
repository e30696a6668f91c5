import CrossbitCore
import Glibc
import Synchronization

/// What a channel's owner does with what arrives. Every method runs on the
/// thread of the channel's ``EventLoop``.
protocol ChannelHandler: AnyObject, Sendable {
    /// A message arrived (a record on a stream, a datagram; `peer` for
    /// unconnected datagram sockets).
    func received(_ message: [UInt8], from peer: SocketAddress?, on channel: Channel)
    /// The monotonic time (ns) at which `tick` must run next, nil for none.
    func nextTick() -> Int64?
    /// Runs after a wake-up of the loop at or after the time `nextTick` gave.
    func tick(now: Int64, on channel: Channel)
    /// The channel closed; `error` says why when it was not asked to.
    func closed(_ channel: Channel, error: RPCError?)
}

/// One socket, read by its ``EventLoop``.
///
/// Senders write from their own thread (no hop) as long as the socket
/// takes the bytes; what it does not take is queued in order and flushed by
/// the loop when the socket becomes writable.
final class Channel: Sendable {
    let fd: Int32
    let isDatagram: Bool
    let maximumMessageSize: Int
    let loop: EventLoop
    /// Who is at the other end of a connection; `.unknown` for a datagram
    /// socket, whose peer comes with each message.
    let peer: RPCPeer
    private let state = Mutex(WriteState())

    private struct WriteState {
        var backlog: [UInt8] = []
        var backlogOffset = 0
        var closed = false
        /// When a closed channel stops waiting for its backlog to drain (monotonic ns).
        var lingerUntil = Int64.max
    }

    /// How long a closed channel goes on writing what it has queued.
    private static let linger: Int64 = 2_000_000_000

    /// The largest datagram: what a UDP message can carry.
    static let maximumDatagramSize = 65536

    /// A channel of `fd`, read by `loop` once added to it. A stream's
    /// messages (records) are bounded by `maximumRecordSize`, a datagram
    /// socket's by ``maximumDatagramSize``.
    init(fd: Int32, isDatagram: Bool, maximumRecordSize: Int, loop: EventLoop, peer: RPCPeer = .unknown) {
        self.fd = fd
        self.peer = peer
        self.isDatagram = isDatagram
        self.maximumMessageSize = isDatagram ? Self.maximumDatagramSize : maximumRecordSize
        self.loop = loop
    }

    /// What the loop waits for on this channel, or nil when it is done:
    /// closed, with nothing queued or no time left to write it.
    func events(now: Int64) -> Int16? {
        state.withLock { state in
            let queued = state.backlog.count - state.backlogOffset
            if state.closed && (queued == 0 || now >= state.lingerUntil) { return nil }
            // A peer that does not read its replies is not read from either.
            let reading = !state.closed && queued < maximumMessageSize
            return (reading ? Int16(POLLIN) : 0) | (queued > 0 ? Int16(POLLOUT) : 0)
        }
    }

    /// The time by which a closing channel gives up writing, if it is closing.
    var lingerDeadline: Int64? { state.withLock { $0.closed && !$0.backlog.isEmpty ? $0.lingerUntil : nil } }

    /// Sends a message built by ``MessageWriter`` (`framed(body:)`): on a
    /// stream with its record mark, header and body in one `sendmsg`; as a
    /// datagram without the mark.
    func send(_ message: OutgoingMessage, to peer: SocketAddress? = nil) throws(RPCError) {
        guard try sendIfOpen(message, to: peer) else {
            throw RPCError(code: .transportFailure, message: "the connection is closed")
        }
    }

    /// Like `send`, but returns false, having sent nothing, when the channel is closed.
    func sendIfOpen(_ message: OutgoingMessage, to peer: SocketAddress? = nil) throws(RPCError) -> Bool {
        if isDatagram { return try sendDatagram(message.bytes, to: peer) }
        let wake = try state.withLock { (state) throws(RPCError) -> Bool? in
            guard !state.closed else { return nil }
            if state.backlog.isEmpty {
                let written = try write(message.head, message.body, from: 0)
                guard written < message.count else { return false }
                // What the socket did not take waits for the loop, in one buffer.
                if written < message.head.count { state.backlog = Array(message.head[written...]) }
                state.backlog.append(contentsOf: message.body[max(0, written - message.head.count)...])
                state.backlogOffset = 0
                return true
            }
            state.backlog.append(contentsOf: message.head)
            state.backlog.append(contentsOf: message.body)
            return false
        }
        guard let wake else { return false }
        if wake { loop.wake() }
        return true
    }

    /// Closes the channel: it takes no more messages, writes what it has
    /// queued (for two seconds at most), then its loop closes the socket and
    /// tells the handler.
    func close() {
        let wasOpen = state.withLock { state in
            defer {
                if !state.closed { state.lingerUntil = monotonicNanoseconds() + Self.linger }
                state.closed = true
            }
            return !state.closed
        }
        if wasOpen { loop.wake() }
    }

    /// Closes the channel at once, dropping what it has queued.
    func abort() {
        state.withLock { state in
            state.closed = true
            state.backlog = []
            state.backlogOffset = 0
        }
        loop.wake()
    }

    private func sendDatagram(_ message: [UInt8], to peer: SocketAddress?) throws(RPCError) -> Bool {
        // Under the lock, so that the socket cannot be closed (and its number reused) meanwhile.
        try state.withLock { (state) throws(RPCError) -> Bool in
            guard !state.closed else { return false }
            try sendDatagramNow(message, to: peer)
            return true
        }
    }

    private func sendDatagramNow(_ message: [UInt8], to peer: SocketAddress?) throws(RPCError) {
        let sent = message.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[recordMarkSize...])
            let flags = Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)
            guard let peer else { return Glibc.send(fd, body.baseAddress, body.count, flags) }
            return peer.withSockAddr { sendto(fd, body.baseAddress, body.count, flags, $0, $1) }
        }
        // A datagram the kernel cannot queue now is lost like any other; retransmission covers it.
        guard sent >= 0 || errno == EAGAIN || errno == EWOULDBLOCK else {
            throw RPCError(code: .transportFailure, message: "cannot send a datagram: \(errnoText())")
        }
    }

    /// Writes as much of `first` then `second`, from `offset` into the two,
    /// as the socket takes now, with one `sendmsg` per attempt; the new offset.
    private func write(_ first: [UInt8], _ second: [UInt8] = [], from offset: Int) throws(RPCError) -> Int {
        var offset = offset
        let total = first.count + second.count
        while offset < total {
            let count = first.withUnsafeBytes { head in
                second.withUnsafeBytes { body in
                    // One part: a plain send (cheaper for the kernel than a one-element sendmsg).
                    if offset < head.count, body.isEmpty {
                        return Glibc.send(fd, head.baseAddress! + offset, head.count - offset, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
                    }
                    return withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
                        var used = 0
                        func add(_ part: UnsafeRawBufferPointer, from start: Int) {
                            guard start < part.count, let base = part.baseAddress else { return }
                            vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + start), iov_len: part.count - start)
                            used += 1
                        }
                        add(head, from: offset)
                        add(body, from: max(0, offset - head.count))
                        var header = msghdr()
                        header.msg_iov = vectors.baseAddress
                        header.msg_iovlen = used
                        return sendmsg(fd, &header, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if count >= 0 {
                offset += count
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else if errno != EINTR {
                throw RPCError(code: .transportFailure, message: "cannot send: \(errnoText())")
            }
        }
        return offset
    }

    /// Writes what the socket takes of the backlog (on the loop's thread).
    func flushBacklog() throws(RPCError) {
        try state.withLock { (state) throws(RPCError) in
            guard !state.backlog.isEmpty else { return }
            state.backlogOffset = try write(state.backlog, from: state.backlogOffset)
            if state.backlogOffset == state.backlog.count {
                state.backlog = []
                state.backlogOffset = 0
            }
        }
    }

    /// Reads what arrived and hands complete messages to `handler` (on the loop's thread).
    func receive(
        into buffer: inout [UInt8], assembler: inout RecordAssembler, handler: any ChannelHandler
    ) throws(RPCError) {
        var peerStorage = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutableBytes(of: &peerStorage) { peer in
                recvfrom(fd, raw.baseAddress, raw.count, 0,
                         peer.baseAddress!.assumingMemoryBound(to: sockaddr.self), &peerLength)
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            throw RPCError(code: .transportFailure, message: errnoText())
        }
        if isDatagram {
            let peer = peerLength > 0
                ? SocketAddress(bytes: withUnsafeBytes(of: &peerStorage) { Array($0.prefix(Int(peerLength))) }) : nil
            handler.received(Array(buffer[..<count]), from: peer, on: self)
            return
        }
        guard count > 0 else { throw RPCError(code: .transportFailure, message: "the peer closed the connection") }
        let failure = buffer.withUnsafeBytes { raw in
            Result { () throws(RPCError) in
                try assembler.feed(UnsafeRawBufferPointer(rebasing: raw[..<count])) { handler.received($0, from: nil, on: self) }
            }
        }
        try failure.get()
    }
}
