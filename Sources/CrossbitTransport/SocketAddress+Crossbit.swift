import CrossbitCore
import Glibc
import NIOCore

// What Crossbit needs of NIO's socket addresses: name resolution in
// getaddrinfo's order, sockaddr bytes from libtirpc, the peer a source
// address names, and short text for messages.

extension SocketAddress {
    /// sun_path's size, terminating NUL included.
    static let maximumUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// The address in a sockaddr of `bytes` (as libtirpc returns it).
    init(sockaddrBytes bytes: [UInt8]) throws(RPCError) {
        let family =
            bytes.count >= MemoryLayout<sa_family_t>.size
            ? bytes.withUnsafeBytes { Int32($0.loadUnaligned(as: sa_family_t.self)) } : AF_UNSPEC
        switch family {
        case AF_INET where bytes.count >= MemoryLayout<sockaddr_in>.size:
            self.init(bytes.withUnsafeBytes { $0.loadUnaligned(as: sockaddr_in.self) })
        case AF_INET6 where bytes.count >= MemoryLayout<sockaddr_in6>.size:
            self.init(bytes.withUnsafeBytes { $0.loadUnaligned(as: sockaddr_in6.self) })
        default:
            throw RPCError(
                code: .transportFailure,
                message: "an address of family \(family) (\(bytes.count) bytes) is not IPv4 or IPv6")
        }
    }

    /// Resolves HOST:PORT to its addresses, in getaddrinfo's order (may block on name service).
    static func resolve(host: String, port: UInt16, datagram: Bool) throws(RPCError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        var addresses: [SocketAddress] = []
        var next = status == 0 ? list : nil
        while let info = next {
            if let address = info.pointee.ai_addr,
                let resolved = try? SocketAddress(
                    sockaddrBytes: Array(UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen))))
            {
                addresses.append(resolved)
            }
            next = info.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            let why = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw RPCError(code: .transportFailure, message: "cannot resolve host '\(host)': \(why)")
        }
        return addresses
    }

    /// The peer this address names: an IP address and port; `.unknown` for other families.
    ///
    /// The address is read at its offset, 4 in a `sockaddr_in` (after family and port) and 8 in a `sockaddr_in6`
    /// (after the flow label too), the same on Linux and the BSDs: NIO's sockaddr types come from its internal C
    /// module, whose members (`sin_addr`) this module cannot name without importing a module swift-nio does not
    /// export as a product.
    var rpcPeer: RPCPeer {
        let bytes: [UInt8]
        switch self {
        case .v4(let address):
            bytes = withUnsafeBytes(of: address.address) { Array($0[4..<4 + MemoryLayout<in_addr>.size]) }
        case .v6(let address):
            bytes = withUnsafeBytes(of: address.address) { Array($0[8..<8 + MemoryLayout<in6_addr>.size]) }
        case .unixDomainSocket: return .unknown
        }
        guard let ip = IPAddress(bytes: bytes) else { return .unknown }
        return .network(ip, port: UInt16(clamping: port ?? 0))
    }

    /// HOST:PORT (`[HOST]:PORT` for IPv6) or the socket's path, for messages.
    var text: String {
        switch self {
        case .v4: "\(ipAddress ?? "?"):\(port ?? 0)"
        case .v6: "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unixDomainSocket: pathname ?? "?"
        }
    }
}
