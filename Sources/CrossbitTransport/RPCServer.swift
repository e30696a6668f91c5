public import CrossbitCore
import Glibc
public import Logging
import NIOCore
import Synchronization

/// An ONC RPC server: serves program versions (generated services, adapted
/// to `RPCServiceDispatcher`) on one or more endpoints, one layout each.
///
/// Calls run concurrently, pipelined calls on one connection included; see
/// docs/server-concurrency.md for why Crossbit serves on SwiftNIO instead
/// of libtirpc's `svc_*` layer.
///
/// ```swift
/// let server = RPCServer(services: [service], endpoints: [.tcp(port: 0, layout: .lp64)], logger: logger)
/// async let serving: Void = server.run()
/// let bound = try await server.listeningEndpoints   // ports chosen for port 0
/// …
/// server.shutdown()          // or cancel the task running `run()`
/// try await serving
/// ```
public final class RPCServer: Sendable {
    /// Options of a server: its threads and the limits that keep one peer
    /// from taking what the others need (docs/server-concurrency.md).
    public struct Options: Sendable, Hashable {
        /// The largest call accepted on a stream, in bytes; a connection
        /// sending a larger record is closed as soon as its record mark arrives.
        public var maximumMessageSize: Int
        /// How many event-loop threads (a NIO group of the server's own) serve
        /// the connections (at least one); accepted connections are spread
        /// over them. By default the number of active processors, at least 2.
        public var eventLoopCount: Int
        /// Open connections per TCP or unix endpoint; one more is closed as
        /// soon as it is accepted.
        public var maximumConnectionsPerEndpoint: Int
        /// Open connections per peer: per source address (any port) over TCP,
        /// per uid over a unix socket; one more is closed as soon as it is accepted.
        public var maximumConnectionsPerPeer: Int
        /// Calls one connection may have running; at this many the server
        /// stops reading the connection (so its peer's writes block) until
        /// one ends. Calls already read when it stops (at most one read's
        /// worth, 64 KiB) still run.
        public var maximumCallsInFlightPerConnection: Int
        /// How long a record may stay incomplete once its first byte arrived;
        /// past it the connection is closed (a slow or stalled sender).
        public var incompleteRecordTimeout: Duration
        /// Calls one UDP endpoint may have running, from all its peers
        /// together; a datagram past it is dropped unread (counted as
        /// ``Limit/callsInFlightPerUDPEndpoint``), and its client retransmits.
        public var maximumCallsInFlightPerUDPEndpoint: Int

        /// The default event loop count: one per online processor, two at least. A function of its own, since
        /// a public default argument may only name what is public or `@usableFromInline`, and `sysconf` is neither.
        @usableFromInline static var onlineProcessorCount: Int { max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

        public init(
            maximumMessageSize: Int = 16 << 20,
            eventLoopCount: Int = onlineProcessorCount,
            maximumConnectionsPerEndpoint: Int = 16_384, maximumConnectionsPerPeer: Int = 1_024,
            maximumCallsInFlightPerConnection: Int = 64, incompleteRecordTimeout: Duration = .seconds(30),
            maximumCallsInFlightPerUDPEndpoint: Int = 1_024
        ) {
            self.maximumMessageSize = maximumMessageSize
            self.eventLoopCount = eventLoopCount
            self.maximumConnectionsPerEndpoint = maximumConnectionsPerEndpoint
            self.maximumConnectionsPerPeer = maximumConnectionsPerPeer
            self.maximumCallsInFlightPerConnection = maximumCallsInFlightPerConnection
            self.incompleteRecordTimeout = incompleteRecordTimeout
            self.maximumCallsInFlightPerUDPEndpoint = maximumCallsInFlightPerUDPEndpoint
        }
    }

    public let endpoints: [ServerEndpoint]
    public let options: Options
    let logger: Logger
    /// Dispatchers by program, then version.
    private let services: [UInt32: [UInt32: any RPCServiceDispatcher]]
    /// Handles calls to programs that no dispatcher serves (the broker).
    private let router: (any RPCCallRouter)?
    /// The router, when it can answer through a completion handler.
    private let completionRouter: (any RPCCompletionRouter)?
    private let state = Mutex(State())
    /// The replies to recent UDP calls, so that a retransmitted call runs once.
    private let duplicateRequests = DuplicateRequestCache()
    /// The limits hit, counted and logged.
    let limits: LimitMonitor
    /// Calls refused because their endpoint's ``ServerEndpoint/access`` does not let their peer in.
    private let deniedCalls = Atomic<UInt64>(0)
    /// Calls begun and not yet answered, and whether a call may still begin (false from ``shutdown()`` on).
    /// Atomics rather than part of `state`: every call begins and ends through them, on the event loops of
    /// its connection, and a lock shared by all the loops was contended there. Sequentially consistent, so
    /// that a call that begins as the server starts draining is either seen by ``finishIfDrained()`` or sees
    /// the drain itself and backs out (``beginCall()``).
    private let callsInFlight = Atomic<Int>(0)
    private let admitsCalls = Atomic<Bool>(true)

    /// How many calls were refused because their endpoint's access rule did
    /// not let their peer in (answered with AUTH_TOOWEAK).
    public var deniedCallCount: UInt64 { deniedCalls.load(ordering: .relaxed) }

    private enum Phase { case idle, starting, serving, draining, stopped }

    private struct State {
        var phase = Phase.idle
        var bound: Result<[ServerEndpoint], RPCError>?
        var addressWaiters: [UnsafeContinuation<Result<[ServerEndpoint], RPCError>, Never>] = []
        /// The listening sockets of TCP and unix endpoints (a UDP socket is among `channels`).
        var listeners: [any Channel] = []
        /// Every bound endpoint (as configured, as bound) and its address; kept after shutdown.
        var boundAddresses: [(configured: ServerEndpoint, bound: ServerEndpoint, address: SocketAddress)] = []
        /// Registrations made with ``RPCServer/registerWithRPCBind(program:version:on:)``.
        var routedRegistrations: [(UInt32, UInt32, String)] = []
        var channels: [ObjectIdentifier: ServerConnection] = [:]
        /// Open connections by endpoint (its index in `endpoints`) and by peer.
        var connectionsByEndpoint: [Int: Int] = [:]
        var connectionsByPeer: [PeerKey: Int] = [:]
        /// The threads serving the channels, from start until `run()` returns.
        var loops: ServerLoops?
        var stopped: UnsafeContinuation<Void, Never>?
    }

    /// A server of `services` on `endpoints`. Nothing is bound before ``run()``.
    public init(
        services: [any RPCServiceDispatcher], router: (any RPCCallRouter)? = nil, endpoints: [ServerEndpoint],
        options: Options = Options(), logger: Logger = Logger(label: "crossbit.server")
    ) {
        self.router = router
        completionRouter = router as? any RPCCompletionRouter
        self.endpoints = endpoints
        self.options = options
        self.logger = logger
        limits = LimitMonitor(endpoints: endpoints, logger: logger)
        self.services = Dictionary(grouping: services, by: \.program).mapValues {
            Dictionary($0.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The endpoints as bound (ports chosen for port 0), once ``run()`` has
    /// bound them; throws what made binding fail.
    public var listeningEndpoints: [ServerEndpoint] {
        get async throws(RPCError) {
            let result = await withUnsafeContinuation { continuation in
                let ready = state.withLock { state -> Result<[ServerEndpoint], RPCError>? in
                    if state.bound == nil { state.addressWaiters.append(continuation) }
                    return state.bound
                }
                if let ready { continuation.resume(returning: ready) }
            }
            return try result.get()
        }
    }

    /// Binds every endpoint, registers with rpcbind where asked, and serves
    /// until ``shutdown()`` or until the calling task is cancelled; then
    /// finishes the calls in flight, closes every socket and unregisters.
    public func run() async throws(RPCError) {
        let claimed = state.withLock { state in
            defer { if state.phase == .idle { state.phase = .starting } }
            return state.phase == .idle
        }
        guard claimed else { throw RPCError(code: .invalidArgument, message: "the server already ran") }
        var registrations: [(UInt32, UInt32, String)] = []
        let started: Result<[ServerEndpoint], RPCError>
        do throws(RPCError) {
            let (listeners, addresses, registered) = try await start()
            registrations = registered
            let serving = state.withLock { state in
                guard state.phase == .starting else { return false }
                state.phase = .serving
                state.listeners = listeners
                state.boundAddresses = zip(endpoints, addresses).map { ($0, $0.bound(to: $1), $1) }
                return true
            }
            if !serving { listeners.forEach { $0.close(promise: nil) } }
            started = .success(zip(endpoints, addresses).map { $0.bound(to: $1) })
        } catch {
            started = .failure(error)
        }
        let waiters = state.withLock { state in
            state.bound = started
            defer { state.addressWaiters = [] }
            return state.addressWaiters
        }
        waiters.forEach { $0.resume(returning: started) }
        if case .success(let bound) = started {
            logger.info("serving", metadata: ["endpoints": "\(bound.map(\.description).joined(separator: ", "))"])
            await withTaskCancellationHandler {
                await withUnsafeContinuation { continuation in
                    state.withLock { $0.stopped = continuation }
                    finishIfDrained()
                }
            } onCancel: {
                shutdown()
            }
        }
        await stopLoops()
        await unregister(
            registrations
                + state.withLock { state in
                    defer { state.routedRegistrations = [] }
                    return state.routedRegistrations
                })
        // A socket handed over already bound stays where its owner (systemd) keeps it.
        for endpoint in endpoints where endpoint.boundSocket == nil {
            if case .unix(let path) = endpoint.transport { unlink(path) }
        }
        state.withLock { $0.phase = .stopped }
        try started.map { _ in () }.get()
    }

    /// Begins a graceful shutdown: stops accepting connections and calls,
    /// lets the calls in flight finish and send their replies, then makes
    /// ``run()`` return.
    public func shutdown() {
        let listeners = state.withLock { state -> [any Channel] in
            switch state.phase {
            case .starting, .serving: state.phase = .draining
            case .idle: state.phase = .stopped
            case .draining, .stopped: break
            }
            defer { state.listeners = [] }
            return state.listeners
        }
        admitsCalls.store(false, ordering: .sequentiallyConsistent)
        listeners.forEach { $0.close(promise: nil) }
        finishIfDrained()
    }

    // MARK: Starting and stopping

    /// Binds every endpoint (each serves from then on) and registers those
    /// that ask for it; the listening channels and every endpoint's address.
    private func start() async throws(RPCError) -> ([any Channel], [SocketAddress], [(UInt32, UInt32, String)]) {
        let loops = ServerLoops(count: options.eventLoopCount)
        state.withLock { $0.loops = loops }  // stopped by run() whatever happens next
        var listeners: [any Channel] = []
        var addresses: [SocketAddress] = []
        var registrations: [(UInt32, UInt32, String)] = []
        do throws(RPCError) {
            for (index, endpoint) in endpoints.enumerated() {
                let channel = try await bind(index, on: loops)
                if !endpoint.isDatagram { listeners.append(channel) }
                // A unix socket bound before NIO adopted it has its path, not a cached local address.
                let unixPath: SocketAddress? =
                    if case .unix(let path) = endpoint.transport {
                        try unixAddress(path)
                    } else { nil }
                guard let address = channel.localAddress ?? unixPath else {
                    throw RPCError(code: .transportFailure, message: "\(endpoint) has no local address once bound")
                }
                addresses.append(address)
                guard endpoint.registerWithRPCBind else { continue }
                let netid = endpoint.netid(for: address)
                let entries = services.values.flatMap(\.values).map { ($0.program, $0.version, netid) }
                registrations += entries
                try await runBlocking { () throws(RPCError) in
                    for (program, version, netid) in entries {
                        try RPCBind.register(program, version, netid: netid, address: address)
                    }
                }
            }
        } catch {
            listeners.forEach { $0.close(promise: nil) }
            await unregister(registrations)
            throw error
        }
        return (listeners, addresses, registrations)
    }

    /// Closes what is still open, waits (briefly) for the last replies to
    /// go out, and stops the event loops.
    private func stopLoops() async {
        let (leftovers, loops) = state.withLock { state in
            defer {
                state.channels = [:]
                state.loops = nil
            }
            return (Array(state.channels.values), state.loops)
        }
        leftovers.forEach { $0.closeAfterWrites() }
        for connection in leftovers { try? await connection.channel.closeFuture.get() }
        await loops?.shutdown()
    }

    private func unregister(_ registrations: [(UInt32, UInt32, String)]) async {
        guard !registrations.isEmpty else { return }
        _ = try? await runBlocking {
            for (program, version, netid) in registrations { RPCBind.unregister(program, version, netid: netid) }
        }
    }

    /// Closes every channel and resumes `run()` once draining and no call is in flight.
    private func finishIfDrained() {
        let (channels, stopped) = state.withLock { state -> ([ServerConnection], UnsafeContinuation<Void, Never>?) in
            guard state.phase == .draining || state.phase == .stopped,
                callsInFlight.load(ordering: .sequentiallyConsistent) == 0,
                let stopped = state.stopped
            else { return ([], nil) }
            state.stopped = nil
            defer { state.channels = [:] }
            return (Array(state.channels.values), stopped)
        }
        channels.forEach { $0.closeAfterWrites() }
        stopped?.resume()
    }

    /// Adopts a new channel (an accepted connection, a UDP socket) unless
    /// the server is shutting down or a connection limit is reached; false
    /// when the channel is to be closed.
    func adopt(_ connection: ServerConnection) -> Bool {
        let refused = state.withLock { state -> Limit?? in
            guard state.phase == .serving || state.phase == .starting else { return .some(nil) }
            if !connection.isDatagram {
                let peer = PeerKey(connection.peer)
                let endpointConnections = state.connectionsByEndpoint[connection.endpoint, default: 0]
                if endpointConnections >= options.maximumConnectionsPerEndpoint {
                    return .connectionsPerEndpoint
                }
                if peer != .unknown, state.connectionsByPeer[peer, default: 0] >= options.maximumConnectionsPerPeer {
                    return .connectionsPerPeer
                }
                state.connectionsByEndpoint[connection.endpoint, default: 0] += 1
                state.connectionsByPeer[peer, default: 0] += 1
            }
            state.channels[ObjectIdentifier(connection.channel)] = connection
            return nil
        }
        guard let refused else { return true }
        if let limit = refused { limits.hit(limit, by: connection.peer, on: connection.endpoint) }
        return false
    }

    func release(_ channel: any Channel) {
        state.withLock { state in
            guard let connection = state.channels.removeValue(forKey: ObjectIdentifier(channel)),
                !connection.isDatagram
            else { return }
            state.connectionsByEndpoint[connection.endpoint, default: 1] -= 1
            let peer = PeerKey(connection.peer)
            state.connectionsByPeer[peer, default: 1] -= 1
            if state.connectionsByPeer[peer] == 0 { state.connectionsByPeer[peer] = nil }
        }
    }

    /// How often each limit of ``Options`` was hit since the server started
    /// (a connection refused, a connection paused, a connection closed).
    public var limitsHit: [Limit: Int] { limits.counts }

    /// How often each limit was hit on the endpoint of index `endpoint` in ``endpoints``.
    public func limitsHit(onEndpoint endpoint: Int) -> [Limit: Int] { limits.counts(on: endpoint) }

    /// The connections open now on the TCP or unix endpoint of index `endpoint` in ``endpoints`` (0 for UDP).
    public func openConnections(onEndpoint endpoint: Int) -> Int {
        state.withLock { $0.connectionsByEndpoint[endpoint] ?? 0 }
    }

    // MARK: Calls

    /// Handles one received call message on the channel's event-loop thread. Replies
    /// that need no handler are sent at once; a handler runs as a task
    /// started immediately on this thread, so it runs to its first
    /// suspension without a thread switch, and the thread reads on after that.
    /// The call was counted by its channel's ``CallFlow`` (`began()`); it ends
    /// when the reply is sent or the connection is given up.
    func handle(
        _ message: Record, from peer: SocketAddress?, on channel: ServerConnection, layout: WireLayout,
        access: PeerAccess
    ) {
        var reader = MessageReader(message)
        guard let header = CallMessage.decodeHeader(&reader) else {
            logger.debug("dropping a message that is not an ONC RPC call", metadata: ["bytes": "\(message.count)"])
            if !channel.isDatagram { channel.channel.close(promise: nil) }
            return channel.flow.ended()
        }
        let procedure = header.procedure
        var cacheKey: DuplicateRequestCache.Key?
        if channel.isDatagram, let peer {
            guard let key = beginDatagramCall(header, from: peer, on: channel) else { return channel.flow.ended() }
            cacheKey = key
        }
        let reply = replier(xid: header.xid, procedure, to: peer, on: channel, cacheKey: cacheKey)
        guard header.rpcVersion == 2 else { return reply(.rpcMismatch(low: 2, high: 2)) }
        let (credentials, refusal) = Self.credentials(of: header)
        if let refusal { return reply(.authError(refusal)) }
        let context = RPCCallContext(
            layout: layout, peer: channel.isDatagram ? peer?.rpcPeer ?? .unknown : channel.peer,
            credentials: credentials, executor: channel.executor)
        guard access.allows(context.peer) else {
            deniedCalls.add(1, ordering: .relaxed)
            logger.warning(
                "call denied: the endpoint does not let this peer in",
                metadata: [
                    "peer": "\(context.peer)", "procedure": "\(procedure)", "allowed": "\(access)",
                ])
            return reply(.authError(.tooWeak))
        }
        dispatch(procedure, arguments: &reader, context: context, on: channel, reply: reply)
    }

    /// Looks a datagram call up in the duplicate request cache: its key when it is to run, nil when it was
    /// dropped (still running) or its cached reply resent. UDP clients retransmit, and a retransmission must not
    /// run a procedure twice.
    private func beginDatagramCall(
        _ header: CallHeader, from peer: SocketAddress, on channel: ServerConnection
    ) -> DuplicateRequestCache.Key? {
        let key = DuplicateRequestCache.Key(
            channel: ObjectIdentifier(channel.channel), peer: peer, xid: header.xid, procedure: header.procedure)
        switch duplicateRequests.begin(key) {
        case .run: return key
        case .drop: return nil
        case .resend(let message):
            try? channel.send(message, to: peer)
            return nil
        }
    }

    /// The one closure per call that sends its reply, caches it for retransmissions and ends the call. It captures
    /// the logger and the cache rather than the server, and falls back to SYSTEM_ERR when a result is too large
    /// for a datagram, so that the caller never waits on silence.
    private func replier(
        xid: UInt32, _ procedure: ProcedureID, to peer: SocketAddress?, on channel: ServerConnection,
        cacheKey: DuplicateRequestCache.Key?
    ) -> @Sendable (ReplyStatus) -> Void {
        let logger = self.logger
        let duplicateRequests = self.duplicateRequests
        return { status in
            var message = ReplyMessage.encode(xid: xid, status)
            do throws(RPCError) { try channel.send(message, to: peer) } catch {
                // Only a result too large for a datagram fails here: the caller gets SYSTEM_ERR, not silence.
                logger.warning(
                    "refusing a reply too large for UDP",
                    metadata: [
                        "procedure": "\(procedure)", "peer": "\(peer?.text ?? "?")", "error": "\(error.message)",
                    ])
                if case .success = status {
                    message = ReplyMessage.encode(xid: xid, .systemError)
                    try? channel.send(message, to: peer)
                }
            }
            if let cacheKey { duplicateRequests.answer(cacheKey, with: message) }
            channel.flow.ended()
        }
    }

    /// The caller's AUTH_SYS credentials (nil for AUTH_NONE), or why they are refused: the server understands
    /// those two flavours and no other.
    private static func credentials(of header: CallHeader) -> (UnixCredentials?, refusal: AuthStatus?) {
        switch header.credentialFlavor {
        case AuthFlavor.none:
            return (nil, nil)
        case AuthFlavor.sys:
            guard let decoded = UnixCredentials(decoding: header.credentials) else { return (nil, .badCredentials) }
            return (decoded, nil)
        default:
            return (nil, .rejectedCredentials)
        }
    }

    /// What serves a call that runs in a task: a dispatcher of the server's services, or its router. An enum
    /// rather than a closure over either, so that a call allocates no closure of its own to say which.
    private enum Handler: Sendable {
        case service(any RPCServiceDispatcher)
        case router(any RPCCallRouter)

        /// A dispatcher's failures are logged by the server; a router logs its own (the broker names field and value).
        var logsFailures: Bool {
            if case .service = self { true } else { false }
        }

        nonisolated(nonsending) func serve(
            _ procedure: ProcedureID, _ arguments: [UInt8], _ context: RPCCallContext
        ) async throws(RPCError) -> [UInt8] {
            switch self {
            case .service(let dispatcher):
                try await dispatcher.dispatch(procedure: procedure.procedure, arguments: arguments, context: context)
            case .router(let router):
                try await router.route(procedure, arguments: arguments, context: context)
            }
        }
    }

    /// Runs an admitted call: a service of the server, else the router, and replies. A completion router is called
    /// on this thread with no task; anything else runs in a task started immediately on this thread.
    private func dispatch(
        _ procedure: ProcedureID, arguments reader: inout MessageReader, context: RPCCallContext,
        on channel: ServerConnection, reply: @escaping @Sendable (ReplyStatus) -> Void
    ) {
        let handler: Handler
        var preference: (any TaskExecutor)?
        if let versions = services[procedure.program] {
            guard let dispatcher = versions[procedure.version] else {
                return reply(.programMismatch(low: versions.keys.min() ?? 0, high: versions.keys.max() ?? 0))
            }
            if procedure.procedure == 0 { return reply(.success([])) }  // NULLPROC, as rpcgen servers answer it
            handler = .service(dispatcher)
        } else if let completionRouter {
            guard beginCall() else { return channel.flow.ended() }
            completionRouter.route(procedure, arguments: reader.rest(), context: context) { result in
                self.finish(procedure, result, logsFailures: false, reply: reply)
            }
            return
        } else if let router {
            preference = router.preferredExecutor(for: procedure, context: context)
            handler = .router(router)
        } else {
            return reply(.programUnavailable)
        }
        guard beginCall() else { return channel.flow.ended() }
        let arguments = reader.rest()
        Task.immediate(executorPreference: preference) {
            await self.run(handler, procedure, arguments, context, reply: reply)
        }
    }

    /// A call's task: serves it, replies and ends it.
    nonisolated(nonsending) private func run(
        _ handler: Handler, _ procedure: ProcedureID, _ arguments: [UInt8], _ context: RPCCallContext,
        reply: (ReplyStatus) -> Void
    ) async {
        let result: Result<[UInt8], RPCError>
        do throws(RPCError) {
            result = .success(try await handler.serve(procedure, arguments, context))
        } catch {
            result = .failure(error)
        }
        finish(procedure, result, logsFailures: handler.logsFailures, reply: reply)
    }

    /// Replies to a call begun with `beginCall()` and ends it.
    private func finish(
        _ procedure: ProcedureID, _ result: Result<[UInt8], RPCError>, logsFailures: Bool, reply: (ReplyStatus) -> Void
    ) {
        switch result {
        case .success(let results): reply(.success(results))
        case .failure(let error): reply(replyStatus(for: error, of: procedure, logging: logsFailures))
        }
        endCall()
    }

    private func replyStatus(for error: RPCError, of procedure: ProcedureID, logging: Bool) -> ReplyStatus {
        switch error.code {
        case .procedureUnavailable: return .procedureUnavailable
        case .programUnavailable: return .programUnavailable
        case .programMismatch:
            let versions = error.supportedVersions ?? 0...0
            return .programMismatch(low: versions.lowerBound, high: versions.upperBound)
        case .authenticationError:
            return .authError(.tooWeak)
        case .garbageArguments, .decodingFailed:
            if logging {
                logger.notice("garbage arguments", metadata: ["procedure": "\(procedure)", "error": "\(error)"])
            }
            return .garbageArguments
        default:
            if logging {
                logger.error("procedure failed", metadata: ["procedure": "\(procedure)", "error": "\(error)"])
            }
            return .systemError
        }
    }

    /// Counts a call in, unless the server is draining (then false, and the call is not run).
    private func beginCall() -> Bool {
        callsInFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
        guard admitsCalls.load(ordering: .sequentiallyConsistent) else {
            endCall()
            return false
        }
        return true
    }

    /// Counts a call out; the last one to end while the server drains lets ``run()`` return.
    private func endCall() {
        let left = callsInFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0, !admitsCalls.load(ordering: .sequentiallyConsistent) { finishIfDrained() }
    }
}

// MARK: rpcbind for routed programs (used by the broker)

extension RPCServer {
    /// Registers a program version that no dispatcher serves (one a router
    /// serves) with the local rpcbind, at the address `endpoint` is bound to
    /// (`endpoint` as configured or as ``listeningEndpoints`` gives it).
    /// The registration is removed by
    /// ``unregisterFromRPCBind(program:version:on:)`` or when the server stops.
    public func registerWithRPCBind(
        program: UInt32, version: UInt32, on endpoint: ServerEndpoint
    ) async throws(RPCError) {
        let (netid, address) = try boundAddress(of: endpoint)
        try await runBlocking { () throws(RPCError) in
            try RPCBind.register(program, version, netid: netid, address: address)
        }
        state.withLock { state in
            // Registered again (after rpcbind restarted): still one entry to remove at shutdown.
            if !state.routedRegistrations.contains(where: { $0 == (program, version, netid) }) {
                state.routedRegistrations.append((program, version, netid))
            }
        }
    }

    /// Whether rpcbind answers and has no address for the program version on the endpoint's netid: true after
    /// rpcbind restarted and forgot the registrations made before (false also when rpcbind does not answer, since
    /// registering again could not succeed then).
    public func isMissingFromRPCBind(program: UInt32, version: UInt32, on endpoint: ServerEndpoint) async -> Bool {
        guard let (netid, _) = try? boundAddress(of: endpoint) else { return false }
        do {
            _ = try await runBlocking { () throws(RPCError) in
                try RPCBind.lookUp(program, version, netid: netid, host: "127.0.0.1")
            }
            return false
        } catch {
            return error.code == .programUnavailable
        }
    }

    /// Removes a registration made by ``registerWithRPCBind(program:version:on:)``.
    public func unregisterFromRPCBind(program: UInt32, version: UInt32, on endpoint: ServerEndpoint) async {
        guard let (netid, _) = try? boundAddress(of: endpoint) else { return }
        state.withLock { $0.routedRegistrations.removeAll { $0 == (program, version, netid) } }
        _ = try? await runBlocking { RPCBind.unregister(program, version, netid: netid) }
    }

    private func boundAddress(of endpoint: ServerEndpoint) throws(RPCError) -> (String, SocketAddress) {
        let match = state.withLock { state in
            state.boundAddresses.first { $0.configured == endpoint || $0.bound == endpoint }
        }
        guard let match else {
            throw RPCError(code: .invalidArgument, message: "\(endpoint) is not a bound endpoint of this server")
        }
        return (endpoint.netid(for: match.address), match.address)
    }
}
