import Foundation
import NIOCore
import NIOPosix

// The floors of SwiftNIO in rows 2 and 3: what any ONC RPC server, and any broker, built on it costs before
// it does anything of its own (as Benchmarks/C/bench_relay.c is the floor of any broker in C). One event loop
// each, TCP_NODELAY as the C peers set it; each prints `READY PORT` (as the C programs do) and serves until killed.

/// `crossbit-bench nio-floor server PORT`: answers each complete record with an accepted reply whose result is
/// the call's argument plus one (what `PING_WIDE` and `PING_PLAIN` return), written from `channelRead` and flushed
/// once per read. No call is decoded beyond its header, nothing is validated, no task runs: what is left is NIO's
/// own cost of a read, a write and a wake-up.
///
/// `crossbit-bench nio-floor relay SERVER_PORT`: relays every connection it accepts to 127.0.0.1:SERVER_PORT,
/// each read written on to the other side as it came, with no RPC parsing at all.
func serveNIOFloor(_ arguments: [String]) throws {
    let usage = BenchFailure("usage: nio-floor server PORT | relay SERVER_PORT")
    guard arguments.count == 2, let port = Int(arguments[1]) else { throw usage }
    let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    let channel: any Channel
    switch arguments[0] {
    case "server":
        channel = try bootstrap.childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FloorHandler()) }
        }.bind(host: "127.0.0.1", port: port).wait()
    case "relay":
        // The child is registered, and read, once its initializer's future completes: after the server's end is open.
        channel = try bootstrap.childChannelInitializer { inbound in
            ClientBootstrap(group: inbound.eventLoop).channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: "127.0.0.1", port: port)
                .flatMapThrowing { outbound in
                    try inbound.pipeline.syncOperations.addHandler(RelayHandler(to: outbound))
                    try outbound.pipeline.syncOperations.addHandler(RelayHandler(to: inbound))
                }
        }.bind(host: "127.0.0.1", port: 0).wait()
    default:
        throw usage
    }
    FileHandle.standardOutput.write(Data("READY \(channel.localAddress?.port ?? 0)\n".utf8))
    try channel.closeFuture.wait()
}

/// Writes what one side of a relayed connection reads to the other side, and closes the other side with it.
private final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let other: any Channel

    init(to other: any Channel) { self.other = other }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        other.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        other.close(promise: nil)
    }
}

/// Answers each complete record of a connection; a record split over reads waits in `held`.
private final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var held: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = held {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        var wrote = false
        while let reply = Self.reply(to: &bytes, allocator: context.channel.allocator) {
            context.write(wrapOutboundOut(reply), promise: nil)
            wrote = true
        }
        held = bytes.readableBytes > 0 ? bytes : nil
        if wrote { context.flush() }
    }

    /// The reply to the first record of `bytes` (consumed), or nil while it is incomplete.
    private static func reply(to bytes: inout ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let mark = bytes.getInteger(at: bytes.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(mark & 0x7fff_ffff)
        guard bytes.readableBytes >= 4 + length, var call = bytes.getSlice(at: bytes.readerIndex + 4, length: length)
        else { return nil }
        bytes.moveReaderIndex(forwardBy: 4 + length)
        // xid, then message type, RPC version, program, version, procedure; then credentials and verifier.
        guard let xid = call.readInteger(as: UInt32.self), call.readSlice(length: 20) != nil else { return nil }
        for _ in 0..<2 {
            guard call.readInteger(as: UInt32.self) != nil, let size = call.readInteger(as: UInt32.self),
                call.readSlice(length: (Int(size) + 3) & ~3) != nil
            else { return nil }
        }
        var result = Array(call.readableBytesView)
        for index in result.indices.reversed() {
            result[index] &+= 1
            if result[index] != 0 { break }
        }
        var reply = allocator.buffer(capacity: 28 + result.count)
        reply.writeInteger(UInt32(0x8000_0000) | UInt32(24 + result.count))
        // xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE of length 0, SUCCESS.
        for word in [xid, 1, 0, 0, 0, 0] { reply.writeInteger(word) }
        reply.writeBytes(result)
        return reply
    }
}
