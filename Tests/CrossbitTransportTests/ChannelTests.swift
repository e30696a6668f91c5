import CrossbitCore
import CrossbitTestSupport
import Glibc
import Testing

@testable import CrossbitTransport

/// A channel's writes: header and body gathered into one `sendmsg`, and what
/// the socket does not take at once queued and flushed in order.
@Suite("Channel")
struct ChannelTests {
    final class Ignoring: ChannelHandler {
        func received(_ message: [UInt8], from peer: SocketAddress?, on channel: Channel) {}
        func nextTick() -> Int64? { nil }
        func tick(now: Int64, on channel: Channel) {}
        func closed(_ channel: Channel, error: RPCError?) {}
    }

    @Test("messages with large bodies arrive whole and in order through a socket that takes little at a time", .timeLimit(.minutes(1)))
    func gatheredWrites() async throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        var small: Int32 = 4096
        _ = setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let loop = try EventLoop()
        defer { loop.stop() }
        let channel = Channel(fd: pair[0], isDatagram: false, maximumRecordSize: 1 << 24, loop: loop)
        #expect(loop.add(channel, handler: Ignoring()))
        let reader = pair[1]
        defer { close(reader) }
        // Bodies above the inline limit go out behind their header; small ones join it.
        func messages(_ round: Int) -> [OutgoingMessage] {
            [100_000, 10, 70_001, 5_000].enumerated().map { index, size in
                var writer = MessageWriter(capacity: 8)
                writer.word(UInt32(round << 8 | index))
                return writer.framed(body: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &+ round) })
            }
        }
        #expect(messages(0).map(\.body.isEmpty) == [false, true, false, false])
        func read(_ total: Int) async -> [UInt8] {
            await readOnThread { () -> [UInt8] in
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                var ready = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
                // Bytes that never come (a lost piece) end the read after 10 s, and the comparison fails.
                while bytes.count < total, poll(&ready, 1, 10_000) == 1 {
                    let count = recv(reader, &buffer, Swift.min(buffer.count, total - bytes.count), 0)
                    guard count > 0 else { break }
                    bytes += buffer[..<count]
                }
                return bytes
            }
        }
        // A socket already full: the first message's header is queued whole, not a byte of it sent.
        var filler: [UInt8] = []
        let chunk = [UInt8](repeating: 0xEE, count: 1024)
        while chunk.withUnsafeBytes({ send(pair[0], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) == chunk.count { filler += chunk }
        let first = messages(1)
        for message in first { try channel.send(message) }
        let expected = filler + first.flatMap(\.bytes)
        #expect(await read(expected.count) == expected)
        // A reader draining while the writes go on: partial writes that the next attempt completes.
        for round in 2..<6 {
            let batch = messages(round)
            let total = batch.reduce(0) { $0 + $1.count }
            async let received = read(total)
            for message in batch { try channel.send(message) }
            #expect(await received == batch.flatMap(\.bytes), "round \(round)")
        }
    }
}
