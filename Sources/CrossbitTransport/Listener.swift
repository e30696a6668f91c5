import CrossbitCore
import Glibc
import Synchronization

/// A bound server socket. For TCP and unix endpoints a thread accepts
/// connections and gives each a ``Channel`` on one of the server's event
/// loops, in turn; a UDP endpoint is one channel on one loop.
final class Listener: Sendable {
    let endpoint: ServerEndpoint
    let address: SocketAddress
    private let fd: Int32
    private let server: RPCServer
    private let waker: Waker
    private let stopped = Atomic(false)
    private let started = Atomic(false)

    private init(endpoint: ServerEndpoint, address: SocketAddress, fd: Int32, server: RPCServer) throws(RPCError) {
        self.endpoint = endpoint
        self.address = address
        self.fd = fd
        self.server = server
        do { waker = try Waker() } catch {
            close(fd)
            throw error
        }
    }

    /// Binds the endpoint's socket (and listens, for streams).
    static func bind(_ endpoint: ServerEndpoint, server: RPCServer) async throws(RPCError) -> Listener {
        let requested: SocketAddress
        switch endpoint.transport {
        case .tcp(let host, let port), .udp(let host, let port):
            let datagram = endpoint.isDatagram
            requested = try await runBlocking { () throws(RPCError) in
                try SocketAddress.resolve(host: host, port: port, datagram: datagram)[0]
            }
        case .unix(let path):
            guard path.utf8.count < SocketAddress.maximumUnixPathLength else {
                throw RPCError(code: .invalidArgument, message: "the unix socket path '\(path)' is too long")
            }
            unlink(path)
            requested = SocketAddress(unixPath: path)
        }
        let (fd, address) = try Socket.bind(
            requested, datagram: endpoint.isDatagram, permissions: endpoint.socketPermissions)
        return try Listener(endpoint: endpoint, address: address, fd: fd, server: server)
    }

    /// Starts serving: a UDP channel, or a thread accepting connections.
    func start() throws(RPCError) {
        started.store(true, ordering: .sequentiallyConsistent)
        if endpoint.isDatagram {
            try serve(fd, isDatagram: true)
        } else {
            do { try startThread { self.acceptConnections() } } catch {
                close(fd)
                throw error
            }
        }
    }

    /// Stops accepting connections. A UDP channel is closed by the server once drained.
    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        if !started.load(ordering: .sequentiallyConsistent) {
            close(fd)
        } else if !endpoint.isDatagram {
            waker.wake()
        }
    }

    /// Serves a socket on the server's next event loop.
    private func serve(_ fd: Int32, isDatagram: Bool, peer: RPCPeer = .unknown) throws(RPCError) {
        guard let loop = server.nextLoop(),
              case let channel = Channel(
                fd: fd, isDatagram: isDatagram, maximumRecordSize: server.options.maximumMessageSize, loop: loop,
                peer: peer),
              loop.add(channel, handler: ServerChannelHandler(server: server, endpoint: endpoint))
        else {
            close(fd)
            throw RPCError(code: .transportFailure, message: "the server has stopped")
        }
        if !server.adopt(channel) { channel.close() }
    }

    /// Readies an accepted connection and tells who is on its other end:
    /// the kernel's record of the process for a unix socket, the source
    /// address for TCP. Closes the connection when that cannot be had.
    private func peer(of connection: Int32, at remote: SocketAddress) throws(RPCError) -> RPCPeer {
        Socket.setNonBlocking(connection)
        guard address.family == AF_UNIX else {
            Socket.setOption(connection, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), 1)
            return remote.rpcPeer
        }
        do { return .local(try Socket.peerCredentials(connection)) } catch {
            close(connection)
            throw error
        }
    }

    private func acceptConnections() {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: waker.fd, events: Int16(POLLIN), revents: 0)]
        while !stopped.load(ordering: .sequentiallyConsistent) {
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else {
                server.logger.error("poll() failed on \(endpoint): \(errnoText())")
                break
            }
            guard fds[0].revents != 0 else { continue }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            while case let connection = withUnsafeMutableBytes(of: &storage, {
                accept(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }), connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                let remote = SocketAddress(bytes: withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) })
                length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                do throws(RPCError) {
                    try serve(connection, isDatagram: false, peer: try peer(of: connection, at: remote))
                } catch {
                    server.logger.error("cannot serve a connection on \(endpoint)", metadata: ["error": "\(error)"])
                }
            }
        }
        close(fd)
    }
}

/// Hands the calls arriving on one server channel to the server.
final class ServerChannelHandler: ChannelHandler {
    let server: RPCServer
    let layout: WireLayout
    let access: PeerAccess

    init(server: RPCServer, endpoint: ServerEndpoint) {
        self.server = server
        layout = endpoint.layout
        access = endpoint.access
    }

    func received(_ message: [UInt8], from peer: SocketAddress?, on channel: Channel) {
        server.handle(message, from: peer, on: channel, layout: layout, access: access)
    }

    func nextTick() -> Int64? { nil }

    func tick(now: Int64, on channel: Channel) {}

    func closed(_ channel: Channel, error: RPCError?) {
        if let error { server.logger.debug("connection closed", metadata: ["reason": "\(error.message)"]) }
        server.release(channel)
    }
}
