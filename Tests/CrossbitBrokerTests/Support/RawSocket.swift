import CrossbitTransport
import Foundation

/// Sends raw bytes to a TCP or unix stream endpoint and closes the
/// connection (for garbage and truncated records); blocking, on its own thread.
func sendRaw(_ bytes: [UInt8], to address: RPCAddress) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            defer { continuation.resume() }
            let fd: Int32
            switch address {
            case .tcp(let host, let port):
                fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var socketAddress = sockaddr_in()
                socketAddress.sin_family = sa_family_t(AF_INET)
                socketAddress.sin_port = port.bigEndian
                inet_pton(AF_INET, host, &socketAddress.sin_addr)
                let connected = withUnsafePointer(to: &socketAddress) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard connected == 0 else { close(fd); return }
            case .unix(let path):
                fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var socketAddress = sockaddr_un()
                socketAddress.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
                    for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
                }
                let connected = withUnsafePointer(to: &socketAddress) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                guard connected == 0 else { close(fd); return }
            case .udp, .rpcbind:
                return
            }
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            usleep(50_000)
            close(fd)
        }
    }
}
