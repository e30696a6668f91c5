import CrossbitCore
import CCrossbitShim
import Glibc
import Synchronization

/// A socket address of any family, stored by value.
struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// sun_path's size, terminating NUL included.
    static let maximumUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    private(set) var bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    init(unixPath path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        bytes = withUnsafeBytes(of: &address) { Array($0) }
    }

    var family: Int32 { bytes.withUnsafeBytes { Int32($0.load(as: sa_family_t.self)) } }

    /// The port of an IPv4 or IPv6 address, 0 for others.
    var port: UInt16 {
        switch family {
        case AF_INET: bytes.withUnsafeBytes { UInt16(bigEndian: $0.loadUnaligned(as: sockaddr_in.self).sin_port) }
        case AF_INET6: bytes.withUnsafeBytes { UInt16(bigEndian: $0.loadUnaligned(as: sockaddr_in6.self).sin6_port) }
        default: 0
        }
    }

    var description: String {
        switch family {
        case AF_INET, AF_INET6:
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            bytes.withUnsafeBytes { raw in
                let offset = family == AF_INET
                    ? MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)! : MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                _ = inet_ntop(family, raw.baseAddress! + offset, &text, socklen_t(text.count))
            }
            let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return family == AF_INET ? "\(host):\(port)" : "[\(host)]:\(port)"
        case AF_UNIX:
            let path = bytes.dropFirst(MemoryLayout<sa_family_t>.size).prefix { $0 != 0 }
            return String(decoding: path, as: UTF8.self)
        default:
            return "address family \(family)"
        }
    }

    /// The peer this address names: an IP address and port; `.unknown` for other families.
    var rpcPeer: RPCPeer {
        let offset: Int, count: Int
        switch family {
        case AF_INET: (offset, count) = (MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!, 4)
        case AF_INET6: (offset, count) = (MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!, 16)
        default: return .unknown
        }
        guard bytes.count >= offset + count else { return .unknown }
        guard let address = IPAddress(bytes: Array(bytes[offset..<offset + count])) else { return .unknown }
        return .network(address, port: port)
    }

    func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        bytes.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
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
            if let address = info.pointee.ai_addr {
                addresses.append(SocketAddress(bytes: Array(UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen)))))
            }
            next = info.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            let why = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw RPCError(code: .transportFailure, message: "cannot resolve host '\(host)': \(why)")
        }
        return addresses
    }
}

/// The text of an errno value.
func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Thin wrappers over the POSIX socket calls, throwing `RPCError`.
enum Socket {
    static func make(family: Int32, datagram: Bool) throws(RPCError) -> Int32 {
        let type = Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw RPCError(code: .transportFailure, message: "socket(): \(errnoText())") }
        if family == AF_INET || family == AF_INET6, !datagram { setOption(fd, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), 1) }
        return fd
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The credentials the kernel recorded for the process at the other end
    /// of a connected unix socket (`SO_PEERCRED`).
    static func peerCredentials(_ fd: Int32) throws(RPCError) -> PeerCredentials {
        var (uid, gid, pid): (UInt32, UInt32, Int32) = (0, 0, 0)
        guard crossbit_peer_credentials(fd, &uid, &gid, &pid) == 0 else {
            throw RPCError(code: .transportFailure, message: "getsockopt(SO_PEERCRED): \(errnoText())")
        }
        return PeerCredentials(uid: uid, gid: gid, pid: pid)
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Connects to the first of `addresses` that accepts before `deadline`
    /// (monotonic ns; blocking: call off the cooperative pool).
    static func connect(to addresses: [SocketAddress], datagram: Bool, deadline: Int64) throws(RPCError) -> (Int32, SocketAddress) {
        var failure = RPCError(code: .transportFailure, message: "no address to connect to")
        for address in addresses {
            do { return (try connect(to: address, datagram: datagram, deadline: deadline), address) } catch {
                failure = error
                if error.code == .timeout { break }
            }
        }
        throw failure
    }

    /// Connects a new nonblocking socket to `address`, waiting until `deadline` at most.
    static func connect(to address: SocketAddress, datagram: Bool, deadline: Int64 = .max) throws(RPCError) -> Int32 {
        let fd = try make(family: address.family, datagram: datagram)
        setNonBlocking(fd)
        var status = address.withSockAddr { Glibc.connect(fd, $0, $1) } == 0 ? 0 : errno
        if status == EINPROGRESS {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            repeat {
                let left = deadline == .max ? -1 : Int32(clamping: max(0, (deadline - monotonicNanoseconds()) / 1_000_000))
                let ready = poll(&entry, 1, left)
                if ready == 0 {
                    close(fd)
                    throw RPCError(code: .timeout, message: "connecting to \(address) took longer than the deadline")
                }
                status = ready < 0 ? errno : 0
            } while status == EINTR
            if status == 0 {
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &length)
            }
        }
        guard status == 0 else {
            close(fd)
            throw RPCError(code: .transportFailure, message: "cannot connect to \(address): \(errnoText(status))")
        }
        return fd
    }

    /// A socket bound to `address` (listening, for streams), and the address
    /// it got. A unix socket's file gets `permissions` before it listens, so
    /// it is never open to more callers than they allow.
    static func bind(
        _ address: SocketAddress, datagram: Bool, permissions: ServerEndpoint.SocketPermissions
    ) throws(RPCError) -> (Int32, SocketAddress) {
        let fd = try make(family: address.family, datagram: datagram)
        if address.family != AF_UNIX { setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1) }
        do throws(RPCError) {
            guard address.withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
                throw RPCError(code: .transportFailure, message: "cannot listen on \(address): \(errnoText())")
            }
            if address.family == AF_UNIX { try apply(permissions, to: address.description) }
            guard datagram || listen(fd, SOMAXCONN) == 0 else {
                throw RPCError(code: .transportFailure, message: "cannot listen on \(address): \(errnoText())")
            }
        } catch {
            close(fd)
            throw error
        }
        setNonBlocking(fd)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutableBytes(of: &storage) { getsockname(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }
        return (fd, SocketAddress(bytes: withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) }))
    }

    /// Sets a unix socket file's group, then its mode.
    private static func apply(_ permissions: ServerEndpoint.SocketPermissions, to path: String) throws(RPCError) {
        if let group = permissions.group, chown(path, uid_t.max, group) != 0 {
            throw RPCError(code: .transportFailure, message: "cannot give \(path) group \(group): \(errnoText())")
        }
        guard chmod(path, mode_t(permissions.mode)) == 0 else {
            let mode = String(permissions.mode, radix: 8)
            throw RPCError(
                code: .transportFailure, message: "cannot set the mode of \(path) to 0\(mode): \(errnoText())")
        }
    }
}

/// Starts a detached POSIX thread: Crossbit's blocking I/O never runs on
/// Swift's cooperative pool.
func startThread(_ body: @escaping @Sendable () -> Void) throws(RPCError) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(&thread, nil, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw RPCError(code: .transportFailure, message: "cannot start a thread: \(errnoText(status))")
    }
    pthread_detach(thread)
}

/// Runs a blocking operation on a thread of its own and waits for it.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws(RPCError) -> T) async throws(RPCError) -> T {
    try await runBlocking(until: .max, body, abandoned: { _ in })
}

/// Runs a blocking operation on a thread of its own and waits for it until
/// `deadline` (monotonic ns) at most, then throws `.timeout`: a name or
/// rpcbind look-up that hangs does not hold a call past its deadline. The
/// operation goes on; what it returns after that is handed to `abandoned`,
/// which releases it (closes a socket it opened).
func runBlocking<T: Sendable>(
    until deadline: Int64, _ body: @escaping @Sendable () throws(RPCError) -> T,
    abandoned: @escaping @Sendable (T) -> Void
) async throws(RPCError) -> T {
    let waiter = BlockingWaiter<T>()
    var timer: Task<Void, Never>?
    let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<T, RPCError>, Never>) in
        waiter.set(continuation)
        do throws(RPCError) {
            try startThread {
                let result = Result { () throws(RPCError) -> T in try body() }
                if !waiter.resume(returning: result), case .success(let value) = result { abandoned(value) }
            }
        } catch {
            _ = waiter.resume(returning: .failure(error))
            return
        }
        guard deadline != .max else { return }
        timer = Task {
            try? await Task.sleep(for: .nanoseconds(max(0, deadline - monotonicNanoseconds())))
            _ = waiter.resume(returning: .failure(RPCError(code: .timeout, message: "the deadline passed")))
        }
    }
    timer?.cancel()
    return try result.get()
}

/// The task waiting in a ``runBlocking(until:_:abandoned:)``: resumed once,
/// by the operation or by the deadline, whichever comes first.
private final class BlockingWaiter<T: Sendable>: Sendable {
    private let continuation = Mutex<UnsafeContinuation<Result<T, RPCError>, Never>?>(nil)

    func set(_ continuation: UnsafeContinuation<Result<T, RPCError>, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes the task unless it was resumed already; whether it did.
    func resume(returning result: Result<T, RPCError>) -> Bool {
        guard let continuation = continuation.withLock({ waiting in defer { waiting = nil }; return waiting }) else { return false }
        continuation.resume(returning: result)
        return true
    }
}

/// Wakes a thread blocked in poll(): an eventfd, closed with its last reference.
final class Waker: Sendable {
    /// The eventfd to poll and to signal.
    let fd: Int32

    init() throws(RPCError) {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw RPCError(code: .transportFailure, message: "eventfd(): \(errnoText())") }
    }

    func wake() {
        var one: UInt64 = 1
        _ = write(fd, &one, MemoryLayout<UInt64>.size)
    }

    func drain() {
        var count: UInt64 = 0
        _ = read(fd, &count, MemoryLayout<UInt64>.size)
    }

    /// Closed only when nobody can wake it any more: a late `wake()` never
    /// writes to a closed descriptor, or to one reused by another socket.
    deinit {
        Glibc.close(fd)
    }
}

/// Monotonic time in nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// The monotonic time `timeout` ns after `now`; `.max` (no deadline) when that would overflow.
func deadline(after timeout: Int64, from now: Int64) -> Int64 {
    timeout > Int64.max - now ? Int64.max : now + timeout
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
