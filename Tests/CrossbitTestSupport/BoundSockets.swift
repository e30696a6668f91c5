public import Glibc

// Sockets bound the way systemd binds those it passes (socket activation),
// for the tests that hand them to a server; and the socket addresses every
// test that binds or connects a raw socket builds here, in one place.

/// Calls `body` with the IPv4 address `host`:`port` (host byte order) as the
/// `sockaddr` that `bind` and `connect` take.
public func withIPv4Address<Result>(
    _ host: UInt32, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
) -> Result {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = host.bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// Calls `body` with the unix socket address of `path`; `abstract` puts it
/// in the abstract namespace (its first byte NUL, as systemd writes `@name`).
public func withUnixAddress<Result>(
    _ path: String, abstract: Bool = false, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
) -> Result {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(path.utf8)
    if abstract && !bytes.isEmpty { bytes[0] = 0 }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in bytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
    }
    let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
    }
}

/// A socket of `type` bound to 127.0.0.1 on a port the kernel picks, not yet listening: its descriptor and port.
public func boundLoopbackSocket(_ type: __socket_type) throws -> (descriptor: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { throw ProcessFailure(description: "socket(): \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
        }
    }
    guard bound == 0 else {
        let message = String(cString: strerror(errno))
        close(fd)
        throw ProcessFailure(description: "binding a socket to 127.0.0.1: \(message)")
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A TCP port of 127.0.0.1 that was free a moment ago (for a process that binds it itself).
public func freeLoopbackPort() throws -> UInt16 {
    let (fd, port) = try boundLoopbackSocket(SOCK_STREAM)
    close(fd)
    return port
}

/// A unix stream socket bound to `path`, not yet listening.
public func boundUnixSocket(at path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProcessFailure(description: "socket(): \(String(cString: strerror(errno)))") }
    guard withUnixAddress(path, { bind(fd, $0, $1) }) == 0 else {
        let message = String(cString: strerror(errno))
        close(fd)
        throw ProcessFailure(description: "binding a unix socket to \(path): \(message)")
    }
    return fd
}
