public import CrossbitCore
public import CrossbitTransport
import Glibc

/// The sockets systemd passed (socket activation, sd_listen_fds(3)), read
/// directly, without libsystemd: `LISTEN_FDS` descriptors from 3 upward,
/// meant for this process when `LISTEN_PID` is its pid, with names in
/// `LISTEN_FDNAMES` (colon-separated). systemd binds them before the broker
/// starts and keeps them across restarts, so no connection is refused while
/// the broker (re)starts and the broker needs no privilege to bind a port.
public struct PassedSockets: Sendable, Hashable {
    /// One passed socket and its name (`FileDescriptorName=`, `--fdname`), if it has one.
    public struct Socket: Sendable, Hashable {
        /// The descriptor and the address it is bound to.
        public var socket: BoundSocket
        /// Its name in `LISTEN_FDNAMES`; nil when it has none. A layout's name (`ilp32`, `lp64`) says what a
        /// socket no endpoint lists serves.
        public var name: String?

        public init(socket: BoundSocket, name: String?) {
            self.socket = socket
            self.name = name
        }
    }

    /// The sockets in descriptor order (3 upward).
    public var sockets: [Socket] = []

    /// No sockets: a broker that binds all its endpoints itself.
    public init() {}

    /// The first descriptor systemd passes (SD_LISTEN_FDS_START).
    static let firstDescriptor: Int32 = 3

    /// The sockets the environment passes to this process. The three
    /// variables are removed afterwards and each descriptor is marked
    /// close-on-exec, so that the servers the broker starts inherit neither.
    /// Throws, naming the variable or descriptor, for values that cannot be used.
    public static func fromEnvironment() throws(ConfigurationError) -> PassedSockets {
        let values = try SystemdEnvironment.take(["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"])
        let (pid, count, names) = (values["LISTEN_PID"], values["LISTEN_FDS"], values["LISTEN_FDNAMES"])
        var passed = PassedSockets()
        let descriptors = try descriptorCount(pid: pid, count: count)
        let nameList = names?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        for offset in 0..<descriptors {
            let descriptor = firstDescriptor + offset
            try closeOnExec(descriptor)
            let socket: BoundSocket
            do {
                socket = try BoundSocket(descriptor: descriptor)
            } catch {
                throw ConfigurationError("socket activation: \(error.message)")
            }
            // systemd names an unnamed socket after its unit, or "unknown": no layout either way.
            let name: String? = Int(offset) < nameList.count ? nameList[Int(offset)] : nil
            passed.sockets.append(Socket(socket: socket, name: name?.isEmpty == false ? name : nil))
        }
        return passed
    }

    /// How many descriptors `LISTEN_FDS` passes to this process: none when
    /// `LISTEN_PID` is unset or names another process (the variables were
    /// inherited, not meant for the broker).
    static func descriptorCount(pid: String?, count: String?) throws(ConfigurationError) -> Int32 {
        guard let count else { return 0 }
        guard let pid else { return 0 }
        guard let number = Int32(pid), number > 0 else {
            throw ConfigurationError("LISTEN_PID '\(pid)' is not a process id")
        }
        guard number == getpid() else { return 0 }
        guard let descriptors = Int32(count), descriptors >= 0, descriptors <= Int32.max - firstDescriptor else {
            throw ConfigurationError("LISTEN_FDS '\(count)' is not a number of descriptors")
        }
        return descriptors
    }

    /// Marks `descriptor` close-on-exec (systemd passes it without, so that it survives the exec into the broker).
    private static func closeOnExec(_ descriptor: Int32) throws(ConfigurationError) {
        let flags = fcntl(descriptor, F_GETFD)
        guard flags >= 0 else {
            throw ConfigurationError(
                "socket activation: descriptor \(descriptor) is not open (LISTEN_FDS counts it): \(errnoText())")
        }
        guard fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) == 0 else {
            throw ConfigurationError(
                "socket activation: cannot mark descriptor \(descriptor) close-on-exec: \(errnoText())")
        }
    }
}

extension BrokerConfiguration {
    /// Serves each passed socket on the `[[listen]]` entry or `--listen`
    /// flag whose address it is bound to, instead of binding that address;
    /// a socket that no entry lists is served when its name is a layout
    /// (`ilp32`, `lp64`). Throws, naming descriptor and address, for a socket
    /// that fits neither, or whose layout name contradicts its entry's.
    public mutating func adopt(_ passed: PassedSockets) throws(ConfigurationError) {
        for item in passed.sockets {
            let named = item.name.flatMap { WireLayout(rawValue: $0.lowercased()) }
            let entry = listeners.firstIndex { $0.passedSocket == nil && item.socket.isBound(to: $0.url) }
            if let entry {
                if let named, named != listeners[entry].layout {
                    throw ConfigurationError(
                        "socket activation: \(item.socket) is named \(named), but the endpoint "
                            + "\(listeners[entry]) it is bound to speaks \(listeners[entry].layout)")
                }
                listeners[entry].passedSocket = item.socket
            } else if let named {
                var listener = Listener(layout: named, url: item.socket.address)
                listener.passedSocket = item.socket
                listeners.append(listener)
            } else {
                let why = item.name.map { "its name '\($0)' is no layout" } ?? "it has no name (LISTEN_FDNAMES)"
                throw ConfigurationError(
                    "socket activation: \(item.socket) matches no [[listen]] entry or --listen flag, and \(why): "
                        + "name it ilp32 or lp64 (FileDescriptorName=), or list its address")
            }
        }
    }
}
