public import CrossbitCore
import NIOCore

/// Where a client sends its calls.
///
/// Parsed from `tcp://HOST:PORT`, `udp://HOST:PORT`, `unix:///PATH` or
/// `rpcbind://HOST` (the address of each program version looked up through
/// rpcbind on HOST: its TCP one, else its UDP one, as servers registered for
/// UDP only have), `rpcbind+tcp://HOST` or `rpcbind+udp://HOST` (that
/// protocol only). IPv6 hosts are written in brackets: `tcp://[::1]:2049`.
public enum RPCAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case udp(host: String, port: UInt16)
    case unix(path: String)
    case rpcbind(host: String, transport: RPCBindTransport = .any)

    /// Which registration an `rpcbind://` address looks up.
    public enum RPCBindTransport: String, Sendable, Hashable {
        /// TCP, else UDP.
        case any
        case tcp
        case udp
    }

    /// Parses an address such as `tcp://127.0.0.1:2049`.
    public init(parsing text: String) throws(RPCError) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw Self.invalid(
                text, "expected SCHEME://…, SCHEME one of tcp, udp, unix, rpcbind, rpcbind+tcp, rpcbind+udp")
        }
        let scheme = parts[0]
        let rest = String(parts[1])
        switch scheme {
        case "tcp", "udp":
            let (host, port) = try Self.hostAndPort(Substring(rest), in: text)
            self = scheme == "tcp" ? .tcp(host: host, port: port) : .udp(host: host, port: port)
        case "unix":
            guard rest.hasPrefix("/") else { throw Self.invalid(text, "expected an absolute path: unix:///PATH") }
            guard rest.utf8.count < SocketAddress.maximumUnixPathLength else {
                let longest = SocketAddress.maximumUnixPathLength - 1
                throw Self.invalid(text, "the socket path is longer than \(longest) bytes")
            }
            self = .unix(path: rest)
        case "rpcbind", "rpcbind+tcp", "rpcbind+udp":
            let host = rest.hasPrefix("[") && rest.hasSuffix("]") ? String(rest.dropFirst().dropLast()) : rest
            guard !host.isEmpty, !host.contains("/") else { throw Self.invalid(text, "expected \(scheme)://HOST") }
            let transport = RPCBindTransport(rawValue: String(scheme.dropFirst("rpcbind+".count))) ?? .any
            self = .rpcbind(host: host, transport: transport)
        default:
            throw Self.invalid(
                text, "unknown scheme '\(scheme)': expected tcp, udp, unix, rpcbind, rpcbind+tcp or rpcbind+udp")
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(Self.bracketed(host)):\(port)"
        case .udp(let host, let port): "udp://\(Self.bracketed(host)):\(port)"
        case .unix(let path): "unix://\(path)"
        case .rpcbind(let host, .any): "rpcbind://\(Self.bracketed(host))"
        case .rpcbind(let host, let transport): "rpcbind+\(transport.rawValue)://\(Self.bracketed(host))"
        }
    }

    private static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    private static func hostAndPort(_ text: Substring, in address: String) throws(RPCError) -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":") else { throw invalid(address, "expected HOST:PORT") }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw invalid(address, "the host is empty") }
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw invalid(address, "the port must be a number from 0 to 65535")
        }
        return (String(host), port)
    }

    private static func invalid(_ text: String, _ why: String) -> RPCError {
        RPCError(code: .invalidArgument, message: "invalid address '\(text)': \(why)")
    }
}
