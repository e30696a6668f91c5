public import Glibc

// Sockets bound the way systemd binds those it passes (socket activation),
// for the tests that hand them to a server.

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
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else {
        let message = String(cString: strerror(errno))
        close(fd)
        throw ProcessFailure(description: "binding a unix socket to \(path): \(message)")
    }
    return fd
}
