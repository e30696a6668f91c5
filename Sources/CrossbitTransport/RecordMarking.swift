import CrossbitCore
import NIOCore

/// A message to send: its header, with the record mark in front, and its
/// body (arguments or results), kept apart so that both are copied once,
/// straight into the buffer that goes to the socket (``buffer(framed:allocator:)``).
struct OutgoingMessage: Sendable {
    var head: [UInt8]
    var body: [UInt8]

    var count: Int { head.count + body.count }

    /// The whole message in one array, record mark included.
    var bytes: [UInt8] { head + body }

    /// The message in one buffer: with its record mark for a stream, without
    /// it for a datagram.
    func buffer(framed: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let skipped = framed ? 0 : recordMarkSize
        var buffer = allocator.buffer(capacity: count - skipped)
        _ = head.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[skipped...])) }
        buffer.writeBytes(body)
        return buffer
    }
}

extension MessageWriter {
    /// The message: the bytes written, their reserved front filled with a
    /// record mark of one last fragment that covers `body` too, and `body`.
    /// The writer is left empty.
    mutating func framed(body: [UInt8] = []) -> OutgoingMessage {
        var head = takeBytes()
        let length = UInt32(head.count - recordMarkSize + body.count) | 0x8000_0000
        head[0] = UInt8(truncatingIfNeeded: length >> 24)
        head[1] = UInt8(truncatingIfNeeded: length >> 16)
        head[2] = UInt8(truncatingIfNeeded: length >> 8)
        head[3] = UInt8(truncatingIfNeeded: length)
        return OutgoingMessage(head: head, body: body)
    }
}

/// What NIO read on a channel, as the channel's handler takes it: stream bytes, which a ``RecordDecoder``
/// makes records of, or a datagram, which is a record as it is.
enum Inbound {
    case bytes(ByteBuffer)
    case datagram(Record, from: SocketAddress?)
}

/// Reassembles records (RFC 5531 §11) from stream bytes, inside the handler that takes them: every
/// fragment's length is checked against the maximum message size as soon as its mark arrives, before its
/// bytes are waited for, so an oversized record fails the connection after at most one read, not after
/// buffering it. (Not a `ByteToMessageHandler` in the pipeline: that hop, and wrapping each record in
/// `NIOAny` and casting it back, cost a server about a tenth of its CPU per call.)
struct RecordDecoder {
    let maximumMessageSize: Int
    /// How long a record may stay incomplete; nil for as long as it takes.
    let incompleteRecordTimeout: TimeAmount?
    /// The bytes read of a fragment not yet complete.
    private var unread: ByteBuffer?
    /// The fragments so far of a record sent in several, and whether the first held the whole header (then
    /// the next go to its body, else to its head).
    private var partial: (record: Record, isSplit: Bool)?
    /// Fails the channel when the record under way is still incomplete.
    private var deadline: Scheduled<Void>?

    init(maximumMessageSize: Int, incompleteRecordTimeout: Duration? = nil) {
        self.maximumMessageSize = maximumMessageSize
        self.incompleteRecordTimeout = incompleteRecordTimeout.map { .nanoseconds($0.nanoseconds) }
    }

    /// The records in what NIO read on `channel`, each with its sender when it is a datagram.
    mutating func records(
        in inbound: Inbound, from channel: any Channel
    ) throws(LimitExceeded) -> [(record: Record, sender: SocketAddress?)] {
        switch inbound {
        case .datagram(let record, let sender): return [(record, sender)]
        case .bytes(let bytes): return try receive(bytes, from: channel).map { ($0, nil) }
        }
    }

    /// The records that `bytes`, read from `channel` after the bytes before, complete.
    mutating func receive(_ bytes: ByteBuffer, from channel: any Channel) throws(LimitExceeded) -> [Record] {
        var buffer = bytes
        if var earlier = unread {
            unread = nil
            earlier.writeImmutableBuffer(bytes)
            buffer = earlier
        }
        var records: [Record] = []
        while let record = try next(from: &buffer) { records.append(record) }
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            unread = buffer
        }
        watch(partial: unread != nil || partial != nil, channel: channel)
        return records
    }

    /// The stream has ended: a partial record is dropped with it.
    mutating func end() {
        unread = nil
        partial = nil
        deadline?.cancel()
        deadline = nil
    }

    /// Starts the incomplete-record deadline when a record is under way, and
    /// ends it when none is (the usual case: nothing to schedule).
    private mutating func watch(partial: Bool, channel: any Channel) {
        guard partial else {
            deadline?.cancel()
            deadline = nil
            return
        }
        guard deadline == nil, let timeout = incompleteRecordTimeout else { return }
        deadline = channel.eventLoop.scheduleTask(in: timeout) {
            channel.pipeline.fireErrorCaught(
                LimitExceeded(
                    limit: .incompleteRecord,
                    message: "a record stayed incomplete for \(timeout.nanoseconds / 1_000_000) ms"))
        }
    }

    /// Takes one fragment off `buffer` when it is all there; the record when
    /// that fragment was its last.
    mutating func next(from buffer: inout ByteBuffer) throws(LimitExceeded) -> Record? {
        while let mark = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) {
            let length = Int(mark & 0x7FFF_FFFF)
            guard (partial?.record.count ?? 0) + length <= maximumMessageSize else {
                throw LimitExceeded(
                    limit: .messageSize,
                    message: "a record of more than \(maximumMessageSize) bytes (the maximum message size) arrived")
            }
            guard buffer.readableBytes - recordMarkSize >= length else { return nil }
            buffer.moveReaderIndex(forwardBy: recordMarkSize)
            let last = mark & 0x8000_0000 != 0
            let record: (record: Record, isSplit: Bool)
            // Taken out of `partial`, the record's arrays are not shared, so they grow in place.
            if var earlier = partial.take() {
                let fragment = buffer.readableBytesView.prefix(length)
                if earlier.isSplit { earlier.record.body += fragment } else { earlier.record.head += fragment }
                buffer.moveReaderIndex(forwardBy: length)
                record = earlier
            } else {
                record = Record.read(length, from: &buffer)
            }
            if last { return record.record }
            partial = record
        }
        return nil
    }
}

/// A connection went past a limit of ``RPCServer/Options``: it is closed,
/// and the limit counted.
struct LimitExceeded: Error, CustomStringConvertible {
    var limit: RPCServer.Limit
    var message: String

    var description: String { message }
}
