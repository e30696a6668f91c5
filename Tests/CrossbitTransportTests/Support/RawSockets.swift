import CrossbitCore
import CrossbitTestSupport
import Glibc

// Sockets that send a server raw bytes, from a chosen loopback address.

/// A socket of `type` connected to 127.0.0.1:`port`, bound first to the
/// loopback address `source` (127.0.0.1 unless given), to send the server raw bytes.
func connectedSocket(
    _ type: __socket_type, toLoopbackPort port: UInt16, from source: UInt32 = 0x7F00_0001
) throws -> Int32 {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { throw ProcessFailure(description: "socket(): errno \(errno)") }
    func call(_ host: UInt32, _ port: UInt16, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withIPv4Address(host, port: port) { body(fd, $0, $1) }
    }
    let bound = source == 0x7F00_0001 ? 0 : call(source, 0, bind)
    guard bound == 0, call(0x7F00_0001, port, connect) == 0 else {
        let code = errno
        close(fd)
        throw ProcessFailure(description: "cannot connect to 127.0.0.1:\(port): errno \(code)")
    }
    return fd
}

/// Sends one framed call on the connected stream socket `fd` and returns
/// the reply record (one fragment).
func exchange(_ call: [UInt8], on fd: Int32) async throws -> [UInt8] {
    try await readOnThread { () -> Result<[UInt8], RPCError> in
        Result { () throws(RPCError) -> [UInt8] in
            guard call.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == call.count else {
                throw RPCError(code: .transportFailure, message: "cannot send the call")
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var pollEntry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            func expected() -> Int { 4 + Int(received[1...3].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
            while received.count < 4 || received.count < expected() {
                guard poll(&pollEntry, 1, 5000) == 1 else { throw RPCError(code: .timeout, message: "no reply") }
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { throw RPCError(code: .transportFailure, message: "closed") }
                received += buffer[..<count]
            }
            return Array(received.dropFirst(4))
        }
    }.get()
}

/// Whether the peer of the stream socket `fd` has closed it (what it sent
/// before is read and dropped).
func peerClosed(_ fd: Int32) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    var buffer = [UInt8](repeating: 0, count: 512)
    while poll(&entry, 1, 0) == 1 {
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count <= 0 { return count == 0 || errno != EAGAIN }
    }
    return false
}
