import CrossbitCore
import NIOCore

/// Where a client sends its calls.
///
/// Parsed from `tcp://HOST:PORT`, `udp://HOST:PORT`, `unix:///PATH` or
/// `rpcbind://HOST` (TCP, with the port of each program version looked up
/// through rpcbind on HOST). IPv6 hosts are written in brackets: `tcp://[::1]:2049`.
public enum RPCAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case udp(host: String, port: UInt16)
    case unix(path: String)
    case rpcbind(host: String)

    /// Parses an address such as `tcp://127.0.0.1:2049`.
    public init(parsing text: String) throws(RPCError) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw Self.invalid(text, "expected SCHEME://…, SCHEME one of tcp, udp, unix, rpcbind")
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
                throw Self.invalid(text, "the socket path is longer than \(SocketAddress.maximumUnixPathLength - 1) bytes")
            }
            self = .unix(path: rest)
        case "rpcbind":
            let host = rest.hasPrefix("[") && rest.hasSuffix("]") ? String(rest.dropFirst().dropLast()) : rest
            guard !host.isEmpty, !host.contains("/") else { throw Self.invalid(text, "expected rpcbind://HOST") }
            self = .rpcbind(host: host)
        default:
            throw Self.invalid(text, "unknown scheme '\(scheme)': expected tcp, udp, unix or rpcbind")
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(Self.bracketed(host)):\(port)"
        case .udp(let host, let port): "udp://\(Self.bracketed(host)):\(port)"
        case .unix(let path): "unix://\(path)"
        case .rpcbind(let host): "rpcbind://\(Self.bracketed(host))"
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
