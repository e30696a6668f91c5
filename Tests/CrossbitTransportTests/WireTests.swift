import CrossbitCore
import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import CrossbitTransport

/// The ONC RPC message and record-marking layer, without sockets (the
/// record decoder in NIO's `EmbeddedChannel`).
@Suite("Wire format")
struct WireTests {
    /// The records the decoder makes of `input` arriving `chunk` bytes at a time, as reads of a channel.
    func records(_ input: [UInt8], chunk: Int, maximum: Int = 1 << 20) throws -> [[UInt8]] {
        try decoded(input, chunk: chunk, maximum: maximum).map(\.bytes)
    }

    func decoded(_ input: [UInt8], chunk: Int, maximum: Int = 1 << 20) throws -> [Record] {
        let channel = EmbeddedChannel()
        var decoder = RecordDecoder(maximumMessageSize: maximum)
        var output: [Record] = []
        for start in stride(from: 0, to: input.count, by: chunk) {
            output += try decoder.receive(
                ByteBuffer(bytes: input[start..<min(start + chunk, input.count)]), from: channel)
        }
        decoder.end()
        _ = try channel.finish()
        return output
    }

    func mark(_ length: Int, last: Bool) -> [UInt8] {
        withUnsafeBytes(of: (UInt32(length) | (last ? 0x8000_0000 : 0)).bigEndian, Array.init)
    }

    @Test("records in several fragments, split anywhere, come out whole", arguments: [1, 3, 4, 7, 64, 4096])
    func fragments(chunk: Int) throws {
        let first = mark(3, last: false) + [1, 2, 3] + mark(0, last: false) + mark(5, last: true) + [4, 5, 6, 7, 8]
        let second = mark(4, last: true) + [9, 9, 9, 9]
        let empty = mark(0, last: true)
        #expect(
            try records(first + second + empty + first, chunk: chunk)
                == [[1, 2, 3, 4, 5, 6, 7, 8], [9, 9, 9, 9], [], [1, 2, 3, 4, 5, 6, 7, 8]])
    }

    @Test(
        "a call sent in two fragments: its arguments come apart from its header when the first holds all of it",
        arguments: [8, 40, 60])
    func fragmentedCall(firstFragment: Int) throws {
        let arguments = (0..<64).map { UInt8($0) }
        let call = Array(
            CallMessage.encode(
                xid: 3, procedure: ProcedureID(program: 1, version: 1, procedure: 1), credentialFlavor: AuthFlavor.none,
                credentials: [], arguments: arguments
            ).bytes.dropFirst(4))
        let stream =
            mark(firstFragment, last: false) + call[..<firstFragment]
            + mark(call.count - firstFragment, last: true) + call[firstFragment...]
        let records = try decoded(stream, chunk: stream.count)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.bytes == call)
        // The header of a call with AUTH_NONE is 40 bytes.
        #expect(firstFragment >= 40 ? record.body == arguments : record.body.isEmpty)
        var reader = MessageReader(record)
        #expect(CallMessage.decodeHeader(&reader) != nil)
        #expect(reader.rest() == arguments)
    }

    @Test("a lone message is flushed at once; messages written while others are in flight leave in one flush")
    func batchedWrites() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 111)).wait()
        let writes = BatchedWrites(channel)
        writes.write(ByteBuffer(bytes: [1]), othersInFlight: false)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [1]))
        writes.write(ByteBuffer(bytes: [2]), othersInFlight: true)
        writes.write(ByteBuffer(bytes: [3]), othersInFlight: true)
        // Written, not yet flushed: the flush waits for the loop's turn.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [2]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [3]))
        _ = try channel.finish()
    }

    @Test("a record over the maximum is refused as soon as its mark arrives, before its bytes are waited for")
    func oversized() {
        #expect(throws: LimitExceeded.self) { _ = try records(mark(0x7FFF_FFFF, last: true), chunk: 4, maximum: 1024) }
        let creeping = mark(600, last: false) + [UInt8](repeating: 0, count: 600) + mark(600, last: true)
        #expect(throws: LimitExceeded.self) { _ = try records(creeping, chunk: 100, maximum: 1024) }
        #expect(throws: LimitExceeded.self) {
            _ = try records(mark(1025, last: true) + [1, 2], chunk: 6, maximum: 1024)
        }
    }

    static let credentials = UnixCredentials(stamp: 7, machineName: "host", uid: 1000, gid: 100, gids: [1, 2, 3])

    @Test("a call's header decodes to what was encoded, AUTH_SYS included")
    func callRoundTrip() throws {
        let procedure = ProcedureID(program: 0x2000_0001, version: 2, procedure: 3)
        let framed = CallMessage.encode(
            xid: 42, procedure: procedure, credentialFlavor: AuthFlavor.sys, credentials: Self.credentials.encoded,
            arguments: [0, 0, 0, 5]
        ).bytes
        #expect(Array(framed.prefix(4)) == mark(framed.count - 4, last: true))
        var reader = MessageReader(Array(framed.dropFirst(4)))
        let header = try #require(CallMessage.decodeHeader(&reader))
        #expect(header.xid == 42 && header.rpcVersion == 2 && header.procedure == procedure)
        #expect(
            header.credentialFlavor == AuthFlavor.sys
                && UnixCredentials(decoding: header.credentials) == Self.credentials)
        #expect(reader.rest() == [0, 0, 0, 5])
        // As the record decoder hands it on: the arguments apart from the header, and handed out as they are.
        var buffer = ByteBuffer(bytes: framed.dropFirst(4))
        let (record, isSplit) = Record.read(framed.count - 4, from: &buffer)
        #expect(isSplit && record.body == [0, 0, 0, 5] && record.bytes == Array(framed.dropFirst(4)))
        var recordReader = MessageReader(record)
        #expect(CallMessage.decodeHeader(&recordReader)?.procedure == procedure)
        #expect(recordReader.rest() == [0, 0, 0, 5])
    }

    @Test("every truncated call header is refused")
    func truncatedCalls() {
        let body = Array(
            CallMessage.encode(
                xid: 1, procedure: ProcedureID(program: 1, version: 1, procedure: 1), credentialFlavor: AuthFlavor.sys,
                credentials: Self.credentials.encoded, arguments: []
            ).bytes.dropFirst(4))
        for length in 0..<body.count {
            var reader = MessageReader(Array(body.prefix(length)))
            #expect(CallMessage.decodeHeader(&reader) == nil, "\(length) bytes")
        }
    }

    @Test("malformed AUTH_SYS bodies are refused")
    func badCredentials() {
        let manyGroups = UnixCredentials(machineName: "h", uid: 0, gid: 0, gids: Array(0..<17))
        let longName = UnixCredentials(machineName: String(repeating: "x", count: 256), uid: 0, gid: 0)
        #expect(UnixCredentials(decoding: ArraySlice(manyGroups.encoded)) == nil)
        #expect(UnixCredentials(decoding: ArraySlice(longName.encoded)) == nil)
        #expect(UnixCredentials(decoding: ArraySlice(Self.credentials.encoded + [0, 0, 0, 0])) == nil)
    }

    @Test(
        "every reply status decodes to its result or its typed error",
        arguments: [
            (ReplyStatus.success([1, 2, 3, 4]), nil),
            (.programUnavailable, RPCError.Code.programUnavailable),
            (.programMismatch(low: 1, high: 3), .programMismatch),
            (.procedureUnavailable, .procedureUnavailable),
            (.garbageArguments, .garbageArguments),
            (.systemError, .systemError),
            (.rpcMismatch(low: 2, high: 2), .rpcVersionMismatch),
            (.authError(.rejectedCredentials), .authenticationError),
        ])
    func replies(status: ReplyStatus, code: RPCError.Code?) {
        let procedure = ProcedureID(program: 9, version: 1, procedure: 1)
        let message = Array(ReplyMessage.encode(xid: 77, status).bytes.dropFirst(4))
        #expect(ReplyMessage.xid(of: message) == 77)
        var buffer = ByteBuffer(bytes: message)
        let (split, isSplit) = Record.read(message.count, from: &buffer)
        // Only a successful reply is split after its header; any other stays whole.
        #expect(isSplit == (code == nil) && split.bytes == message)
        let whole = ReplyMessage.decode(Record(head: message), procedure: procedure)
        #expect((try? whole.get()) == (try? ReplyMessage.decode(split, procedure: procedure).get()))
        switch ReplyMessage.decode(split, procedure: procedure) {
        case .success(let results): #expect(code == nil && results == [1, 2, 3, 4])
        case .failure(let error):
            #expect(error.code == code)
            if code == .programMismatch { #expect(error.supportedVersions == 1...3) }
        }
        for length in 0..<min(message.count, 24) {
            if case .success = ReplyMessage.decode(Record(head: Array(message.prefix(length))), procedure: procedure) {
                Issue.record("a reply truncated to \(length) bytes decoded")
            }
        }
    }
}
