public import CrossbitCore
import NIOCore

/// Where a server listens, and the wire layout its callers speak there.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: Sendable, Hashable {
        /// TCP on HOST:PORT; port 0 picks a free port.
        case tcp(host: String, port: UInt16)
        /// UDP on HOST:PORT; port 0 picks a free port.
        case udp(host: String, port: UInt16)
        /// A unix stream socket at PATH (replaced if it exists, removed on shutdown).
        case unix(path: String)
    }

    public var transport: Transport
    public var layout: WireLayout
    /// Whether every served program version is registered with the local
    /// rpcbind for this endpoint (netid tcp, udp or local), and unregistered
    /// on shutdown. rpcbind keeps one address per program, version and netid.
    public var registerWithRPCBind: Bool
    /// Who may call on this endpoint; others get AUTH_ERROR (AUTH_TOOWEAK)
    /// and reach no service.
    public var access: PeerAccess
    /// The mode and group of a unix socket's file, set before it listens:
    /// connecting needs write permission on it.
    public var socketPermissions: SocketPermissions
    /// A socket handed to the process already bound to `transport`'s
    /// address (systemd's socket activation): the server serves on it
    /// instead of binding, and leaves a unix socket's file as its owner made
    /// it (mode, group, and in place after the server stops).
    public var boundSocket: BoundSocket?

    public init(
        _ transport: Transport, layout: WireLayout, registerWithRPCBind: Bool = false, access: PeerAccess = .anyone,
        socketPermissions: SocketPermissions = .ownerAndGroup
    ) {
        self.transport = transport
        self.layout = layout
        self.registerWithRPCBind = registerWithRPCBind
        self.access = access
        self.socketPermissions = socketPermissions
    }

    /// Who may connect to a unix socket: the file's mode bits and group.
    public struct SocketPermissions: Sendable, Hashable {
        /// Permission bits (`0o660`: owner and group read and write).
        public var mode: UInt16
        /// The file's group; nil keeps the process's.
        public var group: UInt32?

        public init(mode: UInt16, group: UInt32? = nil) {
            self.mode = mode
            self.group = group
        }

        /// The owner and the owner's group may connect, no one else.
        public static let ownerAndGroup = SocketPermissions(mode: 0o660)
    }

    /// An endpoint at a client address: `tcp://HOST:PORT`, `udp://HOST:PORT`
    /// or `unix:///PATH` (`rpcbind://` names no endpoint).
    public init(address: RPCAddress, layout: WireLayout, registerWithRPCBind: Bool = false) throws(RPCError) {
        let transport: Transport
        switch address {
        case .tcp(let host, let port): transport = .tcp(host: host, port: port)
        case .udp(let host, let port): transport = .udp(host: host, port: port)
        case .unix(let path): transport = .unix(path: path)
        case .rpcbind:
            throw RPCError(
                code: .invalidArgument,
                message: "'\(address)' is no address to listen on: use tcp://, udp:// or unix://")
        }
        self.init(transport, layout: layout, registerWithRPCBind: registerWithRPCBind)
    }

    /// An endpoint serving on a socket the process was handed already bound, at that socket's address.
    public init(boundSocket: BoundSocket, layout: WireLayout, access: PeerAccess = .anyone) throws(RPCError) {
        try self.init(address: boundSocket.address, layout: layout)
        self.access = access
        self.boundSocket = boundSocket
    }

    public static func tcp(
        host: String = "0.0.0.0", port: UInt16 = 0, layout: WireLayout, registerWithRPCBind: Bool = false
    ) -> ServerEndpoint {
        ServerEndpoint(.tcp(host: host, port: port), layout: layout, registerWithRPCBind: registerWithRPCBind)
    }

    public static func udp(
        host: String = "0.0.0.0", port: UInt16 = 0, layout: WireLayout, registerWithRPCBind: Bool = false
    ) -> ServerEndpoint {
        ServerEndpoint(.udp(host: host, port: port), layout: layout, registerWithRPCBind: registerWithRPCBind)
    }

    public static func unix(path: String, layout: WireLayout, registerWithRPCBind: Bool = false) -> ServerEndpoint {
        ServerEndpoint(.unix(path: path), layout: layout, registerWithRPCBind: registerWithRPCBind)
    }

    public var description: String { "\(address) (\(layout))" }

    /// The endpoint as a client addresses it.
    public var address: RPCAddress {
        switch transport {
        case .tcp(let host, let port): .tcp(host: host, port: port)
        case .udp(let host, let port): .udp(host: host, port: port)
        case .unix(let path): .unix(path: path)
        }
    }

    var isDatagram: Bool { if case .udp = transport { true } else { false } }

    /// The rpcbind network id of the endpoint for `address`'s family.
    func netid(for address: SocketAddress) -> String {
        switch transport {
        case .unix: "local"
        case .tcp: address.protocol == .inet6 ? "tcp6" : "tcp"
        case .udp: address.protocol == .inet6 ? "udp6" : "udp"
        }
    }

    /// The endpoint with the port it was actually given.
    func bound(to address: SocketAddress) -> ServerEndpoint {
        var endpoint = self
        switch transport {
        case .tcp(let host, _): endpoint.transport = .tcp(host: host, port: UInt16(clamping: address.port ?? 0))
        case .udp(let host, _): endpoint.transport = .udp(host: host, port: UInt16(clamping: address.port ?? 0))
        case .unix: break
        }
        return endpoint
    }
}
