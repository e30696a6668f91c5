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

/// Reassembles records (RFC 5531 §11) from stream bytes, as a NIO decoder:
/// every fragment's length is checked against the maximum message size as
/// soon as its mark arrives, before its bytes are waited for, so an
/// oversized record fails the connection after at most one read, not after
/// buffering it.
struct RecordDecoder: ByteToMessageDecoder {
    typealias InboundOut = Record

    let maximumMessageSize: Int
    /// How long a record may stay incomplete; nil for as long as it takes.
    let incompleteRecordTimeout: TimeAmount?
    /// The fragments so far of a record sent in several, and whether the first held the whole header (then
    /// the next go to its body, else to its head).
    private var partial: (record: Record, isSplit: Bool)?
    /// Fails the channel when the record under way is still incomplete.
    private var deadline: Scheduled<Void>?

    init(maximumMessageSize: Int, incompleteRecordTimeout: Duration? = nil) {
        self.maximumMessageSize = maximumMessageSize
        self.incompleteRecordTimeout = incompleteRecordTimeout.map { .nanoseconds($0.nanoseconds) }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let record = try next(from: &buffer) else {
            watch(partial: buffer.readableBytes > 0 || partial != nil, channel: context.channel)
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(record))
        return .continue
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

    /// A partial record at the end of the stream is dropped with it.
    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        watch(partial: false, channel: context.channel)
        return .needMoreData
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
            var record: (record: Record, isSplit: Bool)
            if partial != nil {
                record = partial!
                partial = nil  // the record's arrays are no longer shared, so they grow in place
                let fragment = buffer.readableBytesView.prefix(length)
                if record.isSplit { record.record.body += fragment } else { record.record.head += fragment }
                buffer.moveReaderIndex(forwardBy: length)
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
