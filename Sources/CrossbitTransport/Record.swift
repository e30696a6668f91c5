import NIOCore

/// One message as it arrived: its ONC RPC header and, apart, the arguments or results after it. The body is
/// copied once, out of NIO's buffer, and handed on as it is: a megabyte of arguments is not copied again to
/// drop the few words of header in front of it (``MessageReader/rest()`` returns it as it is).
struct Record: Sendable, Equatable {
    /// The header of a call or of an accepted, successful reply; the whole message when it is anything else.
    var head: [UInt8]
    /// What follows the header.
    var body: [UInt8]

    init(head: [UInt8], body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    /// The whole message.
    var bytes: [UInt8] { head + body }
    var count: Int { head.count + body.count }

    /// A datagram's bytes as one record, split after its header as a stream's record is.
    init(datagram: ByteBuffer) {
        var bytes = datagram
        self = Self.read(bytes.readableBytes, from: &bytes).record
    }

    /// Takes `length` bytes off `buffer` (which holds at least that many), split after their header when
    /// they hold a whole one; `isSplit` says whether they were.
    static func read(_ length: Int, from buffer: inout ByteBuffer) -> (record: Record, isSplit: Bool) {
        let length = min(length, buffer.readableBytes)
        let headLength = buffer.withUnsafeReadableBytes { readable in
            headerLength(of: UnsafeRawBufferPointer(rebasing: readable.prefix(length)))
        }
        guard let headLength else { return (Record(head: buffer.readBytes(length: length) ?? []), false) }
        let head = buffer.readBytes(length: headLength) ?? []
        return (Record(head: head, body: buffer.readBytes(length: length - headLength) ?? []), true)
    }

    /// The size of the call header or accepted-success reply header at the front of `bytes` (RFC 5531 §9)
    /// when all of it is there; nil for anything else (a rejected or failed reply, a message cut short),
    /// which then stays in one piece.
    static func headerLength(of bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        func word() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            defer { offset += 4 }
            return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        // An opaque_auth: flavor, length, body.
        func authentication() -> Bool {
            guard word() != nil, let length = word(), length <= AuthFlavor.maximumBodySize else { return false }
            offset += (Int(length) + 3) & ~3
            return offset <= bytes.count
        }
        guard word() != nil, let type = word() else { return nil }
        switch type {
        case 0:  // CALL: rpcvers, prog, vers, proc, cred, verf
            guard word() != nil, word() != nil, word() != nil, word() != nil, authentication(), authentication()
            else { return nil }
        case 1:  // REPLY: MSG_ACCEPTED, verf, SUCCESS
            guard word() == 0, authentication(), word() == 0 else { return nil }
        default:
            return nil
        }
        return offset
    }
}
