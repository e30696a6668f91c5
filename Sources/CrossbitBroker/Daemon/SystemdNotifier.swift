import CrossbitTransport
import Glibc
public import Logging

/// systemd's notify protocol (sd_notify(3)) spoken directly, without
/// libsystemd: each state change is one datagram to the unix socket named by
/// `NOTIFY_SOCKET` (a path, or an abstract name written with a leading `@`).
/// Under `Type=notify` systemd holds back units ordered after the broker
/// until it sends `READY=1`, and restarts it when `WATCHDOG=1` stops coming.
public final class SystemdNotifier: Sendable {
    /// A state change systemd understands.
    public enum State: Sendable {
        /// Every endpoint listens and every route is in place: calls succeed.
        case ready
        /// A reload began; `ready` follows when it ended, applied or refused.
        case reloading
        /// Shutdown began: the calls in flight are being finished.
        case stopping
        /// Still alive (every half of `WATCHDOG_USEC`).
        case watchdog

        /// The datagram; `now` is `CLOCK_MONOTONIC` in ns.
        func message(now: Int64) -> String {
            switch self {
            case .ready: "READY=1"
            case .reloading: "RELOADING=1\nMONOTONIC_USEC=\(now / 1000)"
            case .stopping: "STOPPING=1"
            case .watchdog: "WATCHDOG=1"
            }
        }
    }

    /// The socket's address as `sendto` takes it.
    private let address: [UInt8]
    /// How often to send `WATCHDOG=1`: half the interval systemd waits, or nil.
    public let watchdogInterval: Duration?
    private let socket: Int32
    private let logger: Logger

    /// The notifier the environment asks for, or nil when `NOTIFY_SOCKET` is
    /// unset. The variables are removed afterwards, so that the servers the
    /// broker starts do not notify systemd in its name. Throws for a socket
    /// name that cannot be used, or a socket that cannot be made.
    public static func fromEnvironment(logger: Logger) throws(ConfigurationError) -> SystemdNotifier? {
        let values = try SystemdEnvironment.take(["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"])
        let watchdog = try watchdogInterval(usec: values["WATCHDOG_USEC"], pid: values["WATCHDOG_PID"])
        guard let name = values["NOTIFY_SOCKET"] else { return nil }
        return try SystemdNotifier(socketName: name, watchdogInterval: watchdog, logger: logger)
    }

    /// A notifier sending to `socketName` (a path, or `@name` for an abstract socket).
    public init(socketName: String, watchdogInterval: Duration?, logger: Logger) throws(ConfigurationError) {
        address = try Self.socketAddress(socketName)
        self.watchdogInterval = watchdogInterval
        self.logger = logger
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else {
            throw ConfigurationError("cannot make a socket for NOTIFY_SOCKET: \(errnoText())")
        }
    }

    deinit {
        _ = close(socket)  // nothing is lost if closing a datagram socket fails
    }

    /// Sends a state change. A failure is logged, not thrown: systemd going
    /// away must not take the broker with it.
    public func send(_ state: State) {
        let message = Array(state.message(now: monotonicNanoseconds()).utf8)
        let sent = address.withUnsafeBytes { raw in
            message.withUnsafeBytes { bytes in
                repeatOnInterrupt {
                    sendto(
                        socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL),
                        raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
                }
            }
        }
        if sent < 0 {
            logger.warning(
                "cannot notify systemd",
                metadata: [
                    "state": "\(String(decoding: message, as: UTF8.self))",
                    "error": "\(errnoText())",
                ])
        } else if sent != message.count {
            logger.warning("systemd's notify socket took \(sent) of \(message.count) bytes")
        }
    }

    /// Sends `WATCHDOG=1` every ``watchdogInterval`` until cancelled (returns at once without one).
    public func keepWatchdogFed() async {
        guard let watchdogInterval else { return }
        while !Task.isCancelled {
            send(.watchdog)
            try? await Task.sleep(for: watchdogInterval)
        }
    }

    /// `sockaddr_un` for a path or an abstract name; an abstract address is
    /// as long as its name (no terminating NUL), as systemd binds it.
    static func socketAddress(_ name: String) throws(ConfigurationError) -> [UInt8] {
        var path = Array(name.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        guard abstract ? path.count > 1 : path.first == UInt8(ascii: "/") else {
            throw ConfigurationError("NOTIFY_SOCKET '\(name)' is neither an absolute path nor an abstract name (@name)")
        }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard path.count < capacity else {
            throw ConfigurationError(
                "NOTIFY_SOCKET '\(name)' is longer than a unix socket address (\(capacity - 1) bytes)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (abstract ? 0 : 1)
        return withUnsafeBytes(of: &address) { Array($0.prefix(length)) }
    }

    /// Half of `WATCHDOG_USEC`, when it is set and `WATCHDOG_PID`, if set, names this process.
    static func watchdogInterval(usec: String?, pid: String?) throws(ConfigurationError) -> Duration? {
        guard let usec else { return nil }
        guard let microseconds = UInt64(usec), microseconds > 0 else {
            throw ConfigurationError("WATCHDOG_USEC '\(usec)' is not a positive number of microseconds")
        }
        if let pid {
            guard let number = Int32(pid) else { throw ConfigurationError("WATCHDOG_PID '\(pid)' is not a process id") }
            guard number == getpid() else { return nil }  // meant for another process
        }
        return .microseconds(Int64(clamping: microseconds / 2))
    }
}

/// Runs a system call again while a signal interrupts it.
private func repeatOnInterrupt(_ call: () -> Int) -> Int {
    var result: Int
    repeat {
        result = call()
    } while result < 0 && errno == EINTR
    return result
}
