import CCrossbitShim
public import CrossbitCore
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// An ONC RPC client transport: generated clients call through it.
///
/// One client holds one connection per server address (TCP, unix socket or
/// UDP), opened on first use and again after it fails. Calls from many
/// tasks share it concurrently: each is sent with its own xid and its reply
/// is matched by xid, so no call waits behind another. Connections are
/// SwiftNIO channels, on one of NIO's shared event loops unless the client
/// is made on a server connection's loop; name and rpcbind look-ups run on
/// threads of their own, never on Swift's cooperative pool.
///
/// ```swift
/// let client = try RPCClient(address: "tcp://127.0.0.1:2049", layout: .lp64)
/// let reply = try await client.call(procedure, arguments: bytes, options: .defaults)
/// ```
public final class RPCClient: RPCClientTransport {
    /// Credentials sent with every call.
    public enum Credentials: Sendable, Hashable {
        /// AUTH_NONE.
        case none
        /// AUTH_SYS with these credentials.
        case unix(UnixCredentials)

        /// AUTH_SYS with this process's host name, user, group and groups.
        public static var currentProcess: Credentials {
            var name = [CChar](repeating: 0, count: 256)
            gethostname(&name, name.count - 1)
            var groups = [gid_t](repeating: 0, count: Int(max(0, getgroups(0, nil))))
            let count = max(0, getgroups(Int32(groups.count), &groups))
            return .unix(
                UnixCredentials(
                    stamp: UInt32(truncatingIfNeeded: time(nil)),
                    machineName: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                    uid: getuid(), gid: getgid(), gids: Array(groups.prefix(min(Int(count), 16)))))
        }
    }

    /// Options of a client.
    public struct Options: Sendable, Hashable {
        /// The deadline of calls whose `CallOptions` set none.
        public var defaultTimeout: Duration
        public var credentials: Credentials
        /// The largest reply accepted (and argument sent), in bytes.
        public var maximumMessageSize: Int
        /// What generated clients do with bytes after a complete result:
        /// ignore and count them (``RPCClient/ignoredTrailingByteReplies``), as rpcgen's clients do, or refuse them.
        public var trailingBytes: TrailingBytesPolicy
        /// Before the first call, ask the broker endpoint which layout it
        /// speaks (BROKER_LAYOUT of IDL/crossbit_broker.x) and fail every
        /// call with `.layoutMismatch` when it is not this client's, instead
        /// of sending arguments the endpoint would misread.
        public var checksEndpointLayout: Bool

        public init(
            defaultTimeout: Duration = .seconds(25), credentials: Credentials = .none,
            maximumMessageSize: Int = 16 << 20, trailingBytes: TrailingBytesPolicy = .ignore,
            checksEndpointLayout: Bool = false
        ) {
            self.defaultTimeout = defaultTimeout
            self.credentials = credentials
            self.maximumMessageSize = maximumMessageSize
            self.trailingBytes = trailingBytes
            self.checksEndpointLayout = checksEndpointLayout
        }
    }

    public let address: RPCAddress
    public let layout: WireLayout
    public let options: Options
    private let loop: EventLoopExecutor
    private let credentialFlavor: UInt32
    private let credentialBody: [UInt8]
    private let state = Mutex(State())
    private let trailingByteReplies = Atomic<UInt64>(0)

    /// How many replies had bytes after their result that a generated client ignored.
    public var ignoredTrailingByteReplies: UInt64 { trailingByteReplies.load(ordering: .relaxed) }

    public var trailingBytes: TrailingBytesPolicy { options.trailingBytes }

    public func ignoredTrailingBytes(_ count: Int, after procedure: ProcedureID) {
        trailingByteReplies.add(1, ordering: .relaxed)
    }
    /// The outcome of the endpoint layout check, once known (``Options/checksEndpointLayout``).
    let layoutCheck = Mutex<Result<Void, RPCError>?>(nil)

    private enum Entry {
        case ready(ClientConnection)
        case connecting(Task<Result<ClientConnection, RPCError>, Never>)
    }

    private struct State {
        /// Keyed by program and version for rpcbind addresses, by 0 otherwise.
        var entries: [UInt64: Entry] = [:]
        var closed = false
    }

    /// A client of the server at `address`, speaking `layout`.
    public convenience init(address: RPCAddress, layout: WireLayout, options: Options = Options()) throws(RPCError) {
        self.init(address: address, layout: layout, options: options, loop: EventLoopExecutor.nextSharedExecutor())
    }

    /// A client whose connections are read by the thread behind `eventLoop`
    /// instead of one of NIO's shared loops: the `RPCCallContext.executor` of a
    /// call an ``RPCServer`` serves, or another client's ``executor``.
    ///
    /// A task on that thread (a call being served, with that executor as its
    /// preference) then sends its calls and is resumed by their replies with
    /// no thread switch at all, as an event-loop proxy does. A server's loop
    /// serves several of its connections, so such a client can be shared by
    /// every call that loop serves. Closing the client leaves the loop
    /// running; the client's connections close when the server stops (or
    /// the other client closes), its calls then fail with
    /// `.transportFailure`, and ``isClosed`` is true. Throws
    /// `.invalidArgument` when `eventLoop` is not one of Crossbit's.
    public convenience init(
        address: RPCAddress, layout: WireLayout, options: Options = Options(), eventLoop: any TaskExecutor
    ) throws(RPCError) {
        guard let loop = eventLoop as? EventLoopExecutor else {
            throw RPCError(code: .invalidArgument, message: "\(type(of: eventLoop)) is not a Crossbit event loop")
        }
        self.init(address: address, layout: layout, options: options, loop: loop)
    }

    private init(address: RPCAddress, layout: WireLayout, options: Options, loop: EventLoopExecutor) {
        self.loop = loop
        self.address = address
        self.layout = layout
        self.options = options
        switch options.credentials {
        case .none:
            credentialFlavor = AuthFlavor.none
            credentialBody = []
        case .unix(let credentials):
            credentialFlavor = AuthFlavor.sys
            credentialBody = credentials.encoded
        }
    }

    /// A client of the server at `address` (`tcp://HOST:PORT`, `udp://HOST:PORT`,
    /// `unix:///PATH` or `rpcbind://HOST`), speaking `layout`.
    public convenience init(address: String, layout: WireLayout, options: Options = Options()) throws(RPCError) {
        try self.init(address: try RPCAddress(parsing: address), layout: layout, options: options)
    }

    deinit { close() }

    /// The thread that reads this client's connections, as a task executor.
    ///
    /// Calls work from any task. A task that prefers this executor sends its
    /// calls and is resumed by their replies on that one thread, with no
    /// thread switch per call — the lowest latency, as in a C client blocking
    /// in `clnt_call`. Use it for call loops that do little else, and never
    /// block in them:
    ///
    /// ```swift
    /// try await withTaskExecutorPreference(client.executor) {
    ///     for item in items { _ = try await sample.echoSize(item) }
    /// }
    /// ```
    public var executor: any TaskExecutor { loop }

    /// Whether the client was closed, or the event loop it was made on has
    /// stopped: its calls fail.
    public var isClosed: Bool { state.withLock { $0.closed } || loop.hasStopped }

    nonisolated(nonsending) public func call(
        _ procedure: ProcedureID, arguments: [UInt8], options callOptions: CallOptions
    ) async throws(RPCError) -> [UInt8] {
        if options.checksEndpointLayout { try await checkEndpointLayout() }
        return try await send(procedure, arguments: arguments, options: callOptions)
    }

    /// Sends a call and waits for its reply (no layout check).
    nonisolated(nonsending) func send(
        _ procedure: ProcedureID, arguments: [UInt8], options callOptions: CallOptions
    ) async throws(RPCError) -> [UInt8] {
        guard arguments.count <= options.maximumMessageSize else {
            throw RPCError(
                code: .invalidArgument,
                message: "the arguments of \(procedure) are \(arguments.count) bytes, over the maximum message size")
        }
        let timeout = timeout(of: callOptions)
        // A second attempt only when the first found its connection closed before sending anything.
        for _ in 0..<2 {
            let connection = try await connection(for: procedure, timeout: timeout)
            if let reply = await connection.call(
                procedure, arguments: arguments, credentialFlavor: credentialFlavor, credentials: credentialBody,
                timeout: timeout)
            {
                return try ReplyMessage.decode(try reply.get(), procedure: procedure).get()
            }
        }
        throw RPCError(
            code: .transportFailure, message: "the connection to \(address) closed before \(procedure) could be sent")
    }

    /// Makes a call like ``call(_:arguments:options:)`` and hands its result
    /// to `completion`. When the connection is open, no task is involved: the
    /// call is sent from this thread and `completion` runs on the thread that
    /// reads the reply (the broker forwards calls this way); otherwise the
    /// call is made by a task.
    package func call(
        _ procedure: ProcedureID, arguments: [UInt8], options callOptions: CallOptions,
        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void
    ) {
        guard arguments.count <= options.maximumMessageSize, !options.checksEndpointLayout || layoutChecked,
            let connection = readyConnection(for: procedure)
        else {
            return callOnTask(procedure, arguments: arguments, options: callOptions, completion: completion)
        }
        connection.start(
            procedure, arguments: arguments, credentialFlavor: credentialFlavor, credentials: credentialBody,
            timeout: timeout(of: callOptions),
            waiter: .handler { reply in
                // nil: the connection had closed before the call was sent; it goes out on a new one.
                guard let reply else {
                    return self.callOnTask(
                        procedure, arguments: arguments, options: callOptions, completion: completion)
                }
                completion(reply.flatMap { ReplyMessage.decode($0, procedure: procedure) })
            })
    }

    private func callOnTask(
        _ procedure: ProcedureID, arguments: [UInt8], options callOptions: CallOptions,
        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void
    ) {
        Task(executorPreference: loop) {
            do throws(RPCError) {
                completion(.success(try await self.call(procedure, arguments: arguments, options: callOptions)))
            } catch {
                completion(.failure(error))
            }
        }
    }

    private func timeout(of callOptions: CallOptions) -> Int64 {
        (callOptions.timeout ?? options.defaultTimeout).nanoseconds
    }

    /// Closes the client's connections; calls under way fail with `.transportFailure`.
    public func close() {
        let entries = state.withLock { state in
            state.closed = true
            defer { state.entries = [:] }
            return Array(state.entries.values)
        }
        for case .ready(let connection) in entries { connection.close() }
    }

    /// The connection for `procedure`, opened (within `timeout`, in ns) if there is none.
    nonisolated(nonsending) private func connection(
        for procedure: ProcedureID, timeout: Int64
    ) async throws(RPCError) -> ClientConnection {
        let key = key(for: procedure)
        let entry = try state.withLock { (state) throws(RPCError) -> Entry in
            guard !state.closed else { throw RPCError(code: .transportFailure, message: "the client is closed") }
            if let entry = state.entries[key] { return entry }
            let task = Task { [address, options, loop] () -> Result<ClientConnection, RPCError> in
                do throws(RPCError) {
                    return .success(
                        try await Self.connect(
                            to: address, for: procedure, maximumMessageSize: options.maximumMessageSize, loop: loop,
                            timeout: timeout
                        ) { [weak self] closed in self?.forget(closed, key: key) })
                } catch {
                    return .failure(error)
                }
            }
            state.entries[key] = .connecting(task)
            return .connecting(task)
        }
        switch entry {
        case .ready(let connection):
            return connection
        case .connecting(let task):
            let result = await task.value
            let closedMeanwhile = state.withLock { state in
                guard case .connecting? = state.entries[key] else { return state.closed }
                // A connection that failed already was forgotten while still connecting: not cached.
                if case .success(let connection) = result, !connection.hasFailed {
                    state.entries[key] = .ready(connection)
                } else {
                    state.entries[key] = nil
                }
                return false
            }
            if closedMeanwhile, case .success(let connection) = result { connection.close() }
            return try result.get()
        }
    }

    /// The open connection for `procedure`, if there is one.
    private func readyConnection(for procedure: ProcedureID) -> ClientConnection? {
        state.withLock { state in
            guard !state.closed, case .ready(let connection)? = state.entries[key(for: procedure)] else { return nil }
            return connection
        }
    }

    /// The key of `procedure`'s connection in `State.entries`.
    private func key(for procedure: ProcedureID) -> UInt64 {
        guard case .rpcbind = address else { return 0 }
        return programVersionKey(procedure.program, procedure.version)
    }

    private func forget(_ connection: ClientConnection, key: UInt64) {
        state.withLock { state in
            if case .ready(let current)? = state.entries[key], current === connection { state.entries[key] = nil }
        }
    }

    private static func connect(
        to address: RPCAddress, for procedure: ProcedureID, maximumMessageSize: Int, loop: EventLoopExecutor,
        timeout: Int64, onClose: @escaping @Sendable (ClientConnection) -> Void
    ) async throws(RPCError) -> ClientConnection {
        guard !loop.hasStopped else {
            throw RPCError(code: .transportFailure, message: "the event loop of this client to \(address) has stopped")
        }
        let deadline = deadline(after: timeout, from: monotonicNanoseconds())
        let resolved: ([SocketAddress], Bool)
        do {
            resolved = try await runBlocking(
                until: deadline,
                { () throws(RPCError) in
                    try resolve(address, for: procedure)
                }, abandoned: { _ in })
        } catch  where error.code == .timeout {
            throw RPCError(code: .timeout, message: "no connection to \(address) before the deadline of \(procedure)")
        }
        var failure = RPCError(code: .transportFailure, message: "no address to connect to")
        for socketAddress in resolved.0 {
            let left = deadline - monotonicNanoseconds()
            guard left > 0 else { break }
            do {
                let channel = try await open(socketAddress, datagram: resolved.1, on: loop.loop, within: left)
                return try await ClientConnection.adopt(
                    channel, datagram: resolved.1, address: socketAddress, maximumMessageSize: maximumMessageSize,
                    onClose: onClose)
            } catch {
                failure = error
                if error.code == .timeout { break }
            }
        }
        if failure.code == .timeout || deadline <= monotonicNanoseconds() {
            throw RPCError(code: .timeout, message: "no connection to \(address) before the deadline of \(procedure)")
        }
        throw failure
    }

    /// A channel connected to `address` within `nanoseconds`: TCP or unix stream, or connected UDP.
    private static func open(
        _ address: SocketAddress, datagram: Bool, on loop: any EventLoop, within nanoseconds: Int64
    ) async throws(RPCError) -> any Channel {
        do {
            if datagram {
                return try await DatagramBootstrap(group: loop)
                    .channelOption(
                        .recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maximumDatagramSize)
                    )
                    .connect(to: address).get()
            }
            return try await ClientBootstrap(group: loop).connectTimeout(.nanoseconds(nanoseconds))
                .connect(to: address).get()
        } catch ChannelError.connectTimeout {
            throw RPCError(code: .timeout, message: "connecting to \(address.text) took longer than the deadline")
        } catch {
            throw RPCError(
                code: .transportFailure, message: "cannot connect to \(address.text): \(systemText(of: error))")
        }
    }

    /// The socket addresses of `address` (blocking: DNS, rpcbind), and whether it is UDP.
    private static func resolve(
        _ address: RPCAddress, for procedure: ProcedureID
    ) throws(RPCError) -> ([SocketAddress], Bool) {
        switch address {
        case .tcp(let host, let port): (try SocketAddress.resolve(host: host, port: port, datagram: false), false)
        case .udp(let host, let port): (try SocketAddress.resolve(host: host, port: port, datagram: true), true)
        case .unix(let path): ([try unixAddress(path)], false)
        case .rpcbind(let host, let transport):
            try RPCBind.lookUp(procedure.program, procedure.version, host: host, transport: transport)
        }
    }
}

/// The largest datagram read whole: what a UDP message can carry.
let maximumDatagramSize = 65536

/// The address of the unix socket at `path`.
func unixAddress(_ path: String) throws(RPCError) -> SocketAddress {
    do { return try SocketAddress(unixDomainSocketPath: path) } catch {
        throw RPCError(code: .invalidArgument, message: "the unix socket path '\(path)' is too long")
    }
}
