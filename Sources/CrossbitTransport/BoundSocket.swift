public import CrossbitCore
import Glibc
import NIOCore

/// A socket the process was handed already bound, as systemd's socket
/// activation passes them (`LISTEN_FDS`): a server given one in
/// ``ServerEndpoint/boundSocket`` serves on it instead of binding, so that
/// the address is held by systemd across restarts and connections made
/// while the server starts wait in its backlog instead of being refused.
public struct BoundSocket: Sendable, Hashable, CustomStringConvertible {
    /// The descriptor; the server that serves on it closes it when it stops.
    public let descriptor: Int32
    /// The address it is bound to (`getsockname`), with the protocol its
    /// type says: `tcp://` for a stream socket of IPv4 or IPv6, `udp://`
    /// for a datagram one, `unix://` for a unix stream socket.
    public let address: RPCAddress

    /// Reads what `descriptor` is. Throws, naming the descriptor, for one
    /// that is no socket, one of another type or family, an unbound or an
    /// abstract unix socket.
    public init(descriptor: Int32) throws(RPCError) {
        self.descriptor = descriptor
        let type = try Self.option(SO_TYPE, of: descriptor)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Self.failure(descriptor, "getsockname(): \(errnoText())") }
        let bytes = withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) }
        address = try Self.address(family: Int32(storage.ss_family), type: type, bytes: bytes, of: descriptor)
    }

    public var description: String { "descriptor \(descriptor) (\(address))" }

    /// Whether a server told to listen at `wanted` would bind this socket's
    /// address: the same protocol, and the same path, or the same port and
    /// an address `wanted`'s host resolves to (may block on name service).
    public func isBound(to wanted: RPCAddress) -> Bool {
        switch (address, wanted) {
        case (.unix(let path), .unix(let other)):
            return path == other
        case (.tcp(let host, let port), .tcp(let other, let otherPort)),
            (.udp(let host, let port), .udp(let other, let otherPort)):
            let datagram = if case .udp = wanted { true } else { false }
            guard port == otherPort,
                let resolved = try? SocketAddress.resolve(
                    host: other, port: otherPort, datagram: datagram)
            else { return false }
            return resolved.contains { $0.ipAddress == host }
        default:
            return false
        }
    }

    /// The address a socket of `family` and `type` is bound to.
    private static func address(
        family: Int32, type: Int32, bytes: [UInt8], of descriptor: Int32
    ) throws(RPCError) -> RPCAddress {
        let stream = type == Int32(SOCK_STREAM.rawValue)
        guard stream || type == Int32(SOCK_DGRAM.rawValue) else {
            throw failure(descriptor, "a socket of type \(type), neither a stream nor a datagram socket")
        }
        switch family {
        case AF_INET, AF_INET6:
            let socketAddress = try SocketAddress(sockaddrBytes: bytes)
            let host = socketAddress.ipAddress ?? "?", port = UInt16(clamping: socketAddress.port ?? 0)
            return stream ? .tcp(host: host, port: port) : .udp(host: host, port: port)
        case AF_UNIX:
            let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
            let path = bytes.dropFirst(offset).prefix { $0 != 0 }
            guard stream, path.first == UInt8(ascii: "/") else {
                let what = stream ? (path.isEmpty ? "an unbound or abstract" : "a relative") : "a datagram"
                throw failure(descriptor, "\(what) unix socket: only unix stream sockets bound to a path are served")
            }
            return .unix(path: String(decoding: path, as: UTF8.self))
        default:
            throw failure(descriptor, "a socket of family \(family), neither IPv4, IPv6 nor unix")
        }
    }

    /// An integer socket option of `descriptor`.
    private static func option(_ name: Int32, of descriptor: Int32) throws(RPCError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 else {
            throw failure(descriptor, errno == ENOTSOCK ? "not a socket" : "getsockopt(): \(errnoText())")
        }
        return value
    }

    private static func failure(_ descriptor: Int32, _ why: String) -> RPCError {
        RPCError(code: .invalidArgument, message: "descriptor \(descriptor): \(why)")
    }
}
