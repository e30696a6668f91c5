@testable import CrossbitTransport
import CrossbitCore
import NIOCore

/// Record marking and the call and reply headers over any bytes. The first byte picks how the rest arrives (in
/// pieces of 1 to 16 bytes); it must give the same records, or the same error after the same records, as all
/// at once. Every record must stay within the maximum size, and its headers must decode or be refused, never
/// crash.
enum RecordCheck {
    static let maximumMessageSize = 4096

    /// Nil, or what went wrong.
    static func check(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first else { return nil }
        let stream = Array(bytes.dropFirst())
        let whole = records(stream, pieceSize: max(stream.count, 1))
        let pieces = records(stream, pieceSize: Int(first % 16) + 1)
        guard whole.records == pieces.records else { return "records depend on how the bytes arrive" }
        guard whole.failed == pieces.failed else { return "an error depends on how the bytes arrive" }
        for record in whole.records {
            guard record.count <= maximumMessageSize else { return "a record over the maximum size" }
            if let failure = headers(record) { return failure }
        }
        return nil
    }

    /// The records `RecordDecoder` takes off the stream as it arrives in pieces of `pieceSize` bytes.
    private static func records(_ stream: [UInt8], pieceSize: Int) -> (records: [Record], failed: Bool) {
        var decoder = RecordDecoder(maximumMessageSize: maximumMessageSize)
        var buffer = ByteBuffer()
        var records: [Record] = []
        var start = 0
        while start < stream.count {
            let end = min(start + pieceSize, stream.count)
            buffer.writeBytes(stream[start..<end])
            do {
                while let record = try decoder.next(from: &buffer) { records.append(record) }
            } catch {
                return (records, true)
            }
            start = end
        }
        return (records, false)
    }

    private static func headers(_ record: Record) -> String? {
        var reader = MessageReader(record)
        if let header = CallMessage.decodeHeader(&reader), header.credentialFlavor == AuthFlavor.sys {
            _ = UnixCredentials(decoding: header.credentials)
        }
        let procedure = ProcedureID(program: 1, version: 1, procedure: 1)
        if ReplyMessage.xid(of: record.head) != nil,
            case .failure(let error) = ReplyMessage.decode(record, procedure: procedure), error.message.isEmpty
        {
            return "a reply refused without a reason"
        }
        return nil
    }
}
