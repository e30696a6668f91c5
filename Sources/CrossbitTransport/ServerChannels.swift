import CCrossbitShim
import CrossbitCore
import Glibc
import Logging
import NIOCore
import NIOPosix

/// The event loops of a running server: a NIO group of its own, and the
/// executor of each loop (the ``RPCCallContext/executor`` of its calls).
final class ServerLoops: Sendable {
    let group: MultiThreadedEventLoopGroup
    let executors: [EventLoopExecutor]

    init(count: Int) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, count))
        executors = EventLoopExecutor.all(of: group)
    }

    /// The executor of one of the group's loops.
    func executor(for loop: any EventLoop) -> EventLoopExecutor {
        executors.first { $0.loop === loop } ?? EventLoopExecutor(loop)
    }

    /// Stops the loops; every channel still on them closes.
    func shutdown() async {
        executors.forEach { $0.markStopped() }
        do { try await group.shutdownGracefully() } catch {
            // Only a second shutdown fails, and there is none.
        }
    }
}

/// A server's connection or UDP socket, as the calls that arrive on it see it.
///
/// A class: every call holds its connection (in its reply closure), and a
/// reference is one retain where a struct of five references was five.
final class ServerConnection: Sendable {
    let channel: any Channel
    let isDatagram: Bool
    /// Who is at the other end of a connection; `.unknown` for a UDP socket,
    /// whose peer comes with each datagram.
    let peer: RPCPeer
    let executor: EventLoopExecutor
    /// The endpoint's index in ``RPCServer/endpoints``.
    let endpoint: Int
    /// The calls running on a connection or UDP socket, against its limit.
    let flow: CallFlow
    /// A connection's replies, flushed together when several are written in one turn of the loop.
    let replies: BatchedWrites

    init(
        channel: any Channel, isDatagram: Bool, peer: RPCPeer, executor: EventLoopExecutor, endpoint: Int,
        flow: CallFlow
    ) {
        self.channel = channel
        self.isDatagram = isDatagram
        self.peer = peer
        self.executor = executor
        self.endpoint = endpoint
        self.flow = flow
        replies = BatchedWrites(channel)
    }

    /// The largest UDP payload over IPv4 (65,535 bytes less the IP and UDP headers).
    static let maximumDatagramPayload = 65_507

    /// Sends a reply, from any thread: on a stream with its record mark, as
    /// a datagram to `address` without it. Throws when it cannot be a datagram.
    func send(_ message: OutgoingMessage, to address: SocketAddress?) throws(RPCError) {
        guard isDatagram else {
            let buffer = message.buffer(framed: true, allocator: channel.allocator)
            return replies.write(buffer, othersInFlight: flow.count > 1)
        }
        let size = message.count - recordMarkSize
        guard size <= Self.maximumDatagramPayload else {
            throw RPCError(
                code: .systemError,
                message: "a reply of \(size) bytes does not fit in a UDP datagram "
                    + "(\(Self.maximumDatagramPayload) at most)")
        }
        guard let address else { return }
        let datagram = AddressedEnvelope(
            remoteAddress: address, data: message.buffer(framed: false, allocator: channel.allocator))
        channel.writeAndFlush(datagram, promise: nil)
    }

    /// Closes the channel once what was written to it has gone out; two
    /// seconds at most (a peer that does not read loses its replies).
    func closeAfterWrites() {
        guard !isDatagram else { return channel.close(promise: nil) }
        let channel = self.channel
        channel.writeAndFlush(channel.allocator.buffer(capacity: 0)).whenComplete { _ in channel.close(promise: nil) }
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}

/// Hands the calls arriving on one server channel to the server: records
/// from the ``RecordDecoder`` on a stream, datagrams on UDP.
final class ServerCallHandler<Message>: ChannelInboundHandler {
    typealias InboundIn = Message

    private let server: RPCServer
    private let layout: WireLayout
    private let access: PeerAccess
    private let connection: ServerConnection
    private let message: (Message) -> Inbound
    /// Makes records of a stream's bytes (unused on UDP, whose datagrams are records).
    private var records: RecordDecoder

    init(
        server: RPCServer, endpoint: ServerEndpoint, connection: ServerConnection,
        records: RecordDecoder, message: @escaping (Message) -> Inbound
    ) {
        self.server = server
        layout = endpoint.layout
        access = endpoint.access
        self.connection = connection
        self.records = records
        self.message = message
    }

    /// Calls read while the connection had as many running as it may.
    private var held = CircularBuffer<Record>()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do throws(LimitExceeded) {
            let complete = try records.records(in: message(unwrapInboundIn(data)), from: context.channel)
            for (record, sender) in complete { take(record, from: sender, context: context) }
        } catch {
            errorCaught(context: context, error: error)
        }
    }

    /// Runs a call, or holds it while the connection has as many running as it may.
    private func take(_ bytes: Record, from peer: SocketAddress?, context: ChannelHandlerContext) {
        let flow = connection.flow
        if connection.isDatagram && flow.isFull {
            let sender = peer?.rpcPeer ?? .unknown
            return server.limits.hit(.callsInFlightPerUDPEndpoint, by: sender, on: connection.endpoint)
        }
        guard flow.isFull || !held.isEmpty else {
            flow.began()
            return server.handle(bytes, from: peer, on: connection, layout: layout, access: access)
        }
        if held.isEmpty {
            server.limits.hit(.callsInFlightPerConnection, by: connection.peer, on: connection.endpoint)
            Self.setReading(context.channel, false)
        }
        held.append(bytes)
    }

    /// Runs held calls while there is room, and reads again once none is held (on the loop).
    func resume(_ channel: any Channel) {
        let flow = connection.flow
        while !flow.isFull, let bytes = held.popFirst() {
            flow.began()
            server.handle(bytes, from: nil, on: connection, layout: layout, access: access)
        }
        if held.isEmpty && !flow.isFull { Self.setReading(channel, true) }
    }

    /// Turns reading a connection off or on (on its loop).
    private static func setReading(_ channel: any Channel, _ reading: Bool) {
        // Fails only on a closed channel, which reads nothing anyway.
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: reading)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let exceeded = error as? LimitExceeded {
            server.limits.hit(exceeded.limit, by: connection.peer, on: connection.endpoint)
        }
        server.logger.debug("connection closed", metadata: ["peer": "\(connection.peer)", "reason": "\(error)"])
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        records.end()
        server.release(context.channel)
        context.fireChannelInactive()
    }
}

extension RPCServer {
    /// Binds an endpoint's channel on `loops` (or serves on its
    /// ``ServerEndpoint/boundSocket``): a listening socket whose connections
    /// each get a record decoder and a call handler, or a UDP socket with a
    /// call handler. It serves from now on.
    func bind(_ index: Int, on loops: ServerLoops) async throws(RPCError) -> any Channel {
        let endpoint = endpoints[index]
        if let passed = endpoint.boundSocket {
            do {
                if endpoint.isDatagram {
                    return try await datagramBootstrap(index, on: loops).withBoundSocket(passed.descriptor).get()
                }
                return try await streamBootstrap(index, on: loops).withBoundSocket(passed.descriptor).get()
            } catch {
                throw RPCError(code: .transportFailure, message: "cannot serve on \(passed): \(systemText(of: error))")
            }
        }
        let address: SocketAddress
        switch endpoint.transport {
        case .tcp(let host, let port), .udp(let host, let port):
            let datagram = endpoint.isDatagram
            address = try await runBlocking { () throws(RPCError) in
                try SocketAddress.resolve(host: host, port: port, datagram: datagram)[0]
            }
        case .unix(let path):
            address = try unixAddress(path)
            unlink(path)
        }
        do {
            if endpoint.isDatagram { return try await datagramBootstrap(index, on: loops).bind(to: address).get() }
            return try await bindStream(index, at: address, on: loops).get()
        } catch let error as RPCError {
            throw error  // a unix socket's own binding names what failed
        } catch {
            throw RPCError(
                code: .transportFailure, message: "cannot listen on \(address.text): \(systemText(of: error))")
        }
    }

    private func bindStream(
        _ index: Int, at address: SocketAddress, on loops: ServerLoops
    ) -> EventLoopFuture<any Channel> {
        let endpoint = endpoints[index]
        let bootstrap = streamBootstrap(index, on: loops)
        guard case .unix = endpoint.transport else {
            return bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1).bind(to: address)
        }
        do {
            let socket = try Self.boundUnixSocket(at: address, permissions: endpoint.socketPermissions)
            return bootstrap.withBoundSocket(socket)
        } catch {
            return loops.group.next().makeFailedFuture(error)
        }
    }

    /// How a stream endpoint's connections are served: each gets a record
    /// decoder and a call handler, unless a connection limit refuses it.
    private func streamBootstrap(_ index: Int, on loops: ServerLoops) -> ServerBootstrap {
        let endpoint = endpoints[index]
        let unix = if case .unix = endpoint.transport { true } else { false }
        return ServerBootstrap(group: loops.group).serverChannelOption(.backlog, value: Int32(SOMAXCONN))
            .childChannelInitializer { channel in
                Self.peer(of: channel, unix: unix).flatMapThrowing { peer in
                    // Rare (only after the connection reached its limit), so the handler is looked up then.
                    let flow = CallFlow(limit: self.options.maximumCallsInFlightPerConnection) {
                        channel.eventLoop.execute {
                            let pipeline = channel.pipeline.syncOperations
                            (try? pipeline.handler(type: ServerCallHandler<ByteBuffer>.self))?.resume(channel)
                        }
                    }
                    let connection = ServerConnection(
                        channel: channel, isDatagram: false, peer: peer,
                        executor: loops.executor(for: channel.eventLoop), endpoint: index, flow: flow)
                    let decoder = RecordDecoder(
                        maximumMessageSize: self.options.maximumMessageSize,
                        incompleteRecordTimeout: self.options.incompleteRecordTimeout)
                    try channel.pipeline.syncOperations.addHandler(
                        ServerCallHandler<ByteBuffer>(
                            server: self, endpoint: endpoint, connection: connection, records: decoder
                        ) { .bytes($0) })
                    if !self.adopt(connection) { channel.close(promise: nil) }
                }
            }
    }

    /// A unix stream socket bound to `address`, its file given `permissions`
    /// before NIO listens on it, so it is never open to more callers than they allow.
    private static func boundUnixSocket(
        at address: SocketAddress, permissions: ServerEndpoint.SocketPermissions
    ) throws(RPCError) -> Int32 {
        let path = address.text
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RPCError(code: .transportFailure, message: "socket(): \(errnoText())") }
        do throws(RPCError) {
            guard address.withSockAddr({ Glibc.bind(fd, $0, socklen_t($1)) }) == 0 else {
                throw RPCError(code: .transportFailure, message: "cannot listen on \(path): \(errnoText())")
            }
            if let group = permissions.group, chown(path, uid_t.max, group) != 0 {
                throw RPCError(code: .transportFailure, message: "cannot give \(path) group \(group): \(errnoText())")
            }
            guard chmod(path, mode_t(permissions.mode)) == 0 else {
                let mode = String(permissions.mode, radix: 8)
                throw RPCError(
                    code: .transportFailure, message: "cannot set the mode of \(path) to 0\(mode): \(errnoText())")
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// How a UDP endpoint's socket is served: one call handler for every peer.
    private func datagramBootstrap(_ index: Int, on loops: ServerLoops) -> DatagramBootstrap {
        let endpoint = endpoints[index]
        return DatagramBootstrap(group: loops.group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maximumDatagramSize))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Never paused (its peers share it): nothing to resume.
                    let flow = CallFlow(limit: self.options.maximumCallsInFlightPerUDPEndpoint) {}
                    let connection = ServerConnection(
                        channel: channel, isDatagram: true, peer: .unknown,
                        executor: loops.executor(for: channel.eventLoop), endpoint: index, flow: flow)
                    try channel.pipeline.syncOperations.addHandler(
                        ServerCallHandler<AddressedEnvelope<ByteBuffer>>(
                            server: self, endpoint: endpoint, connection: connection,
                            records: RecordDecoder(maximumMessageSize: maximumDatagramSize)
                        ) { .datagram(Record(datagram: $0.data), from: $0.remoteAddress) })
                    if !self.adopt(connection) { channel.close(promise: nil) }
                }
            }
    }

    /// Who is on the other end of an accepted connection: the kernel's
    /// record of the process for a unix socket (`SO_PEERCRED`), the source
    /// address for TCP. The connection is closed when that cannot be had.
    private static func peer(of channel: any Channel, unix: Bool) -> EventLoopFuture<RPCPeer> {
        guard unix else { return channel.eventLoop.makeSucceededFuture(channel.remoteAddress?.rpcPeer ?? .unknown) }
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                RPCError(code: .transportFailure, message: "the connection gives no SO_PEERCRED"))
        }
        let credentials: EventLoopFuture<crossbit_ucred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.map { .local(PeerCredentials(uid: $0.uid, gid: $0.gid, pid: $0.pid)) }
    }
}
