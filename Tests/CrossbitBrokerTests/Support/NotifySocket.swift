import CrossbitTestSupport
import Foundation
import Glibc

/// The test's end of systemd's notify protocol: a unix datagram socket,
/// bound to a path or an abstract name, whose messages the test reads.
final class NotifySocket {
    /// What NOTIFY_SOCKET is set to (`@name` for an abstract socket).
    let name: String
    private let descriptor: Int32

    init(abstract: Bool) throws {
        let unique = "crossbit-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        name = abstract ? "@\(unique)" : try Paths.temporaryDirectory("notify").path + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ProcessFailure(description: "socket: \(String(cString: strerror(errno)))") }
        let descriptor = descriptor
        guard withUnixAddress(name, abstract: abstract, { bind(descriptor, $0, $1) }) == 0 else {
            close(descriptor)
            throw ProcessFailure(description: "bind \(name): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        _ = close(descriptor)  // a test's socket: nothing to do if closing fails
    }

    /// The next message, or nil when none came within `timeout`.
    func receive(timeout: Duration = .seconds(20)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count >= 0 { return String(decoding: buffer.prefix(count), as: UTF8.self) }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// Messages until one satisfies `wanted` (returned), or nil after `timeout`.
    func receive(until wanted: (String) -> Bool, timeout: Duration = .seconds(20)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = await receive(timeout: deadline - ContinuousClock.now) else { return nil }
            if wanted(message) { return message }
        }
        return nil
    }
}
