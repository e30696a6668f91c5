import CrossbitTestSupport
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
                var host4 = in_addr()
                guard inet_pton(AF_INET, host, &host4) == 1,
                    withIPv4Address(UInt32(bigEndian: host4.s_addr), port: port, { connect(fd, $0, $1) }) == 0
                else { close(fd); return }
            case .unix(let path):
                fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                guard withUnixAddress(path, { connect(fd, $0, $1) }) == 0 else { close(fd); return }
            case .udp, .rpcbind:
                return
            }
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            usleep(50_000)
            close(fd)
        }
    }
}
