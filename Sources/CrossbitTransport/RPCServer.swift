import CrossbitCore
import Glibc
import Logging
import Synchronization

/// An ONC RPC server: serves program versions (generated services, adapted
/// to ``RPCServiceDispatcher``) on one or more endpoints, one layout each.
///
/// Calls run concurrently, pipelined calls on one connection included; see
/// docs/server-concurrency.md for why Crossbit reads and writes its own
/// sockets instead of libtirpc's `svc_*` layer.
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
    /// Options of a server.
    public struct Options: Sendable, Hashable {
        /// The largest call accepted on a stream, in bytes; a connection
        /// sending a larger record is closed.
        public var maximumMessageSize: Int
        /// How many event-loop threads serve the connections (at least one);
        /// accepted connections are spread over them in turn. By default the
        /// number of active processors, at least 2.
        public var eventLoopCount: Int

        public init(maximumMessageSize: Int = 16 << 20, eventLoopCount: Int = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) {
            self.maximumMessageSize = maximumMessageSize
            self.eventLoopCount = eventLoopCount
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
    /// Counts the channels given a loop, to spread them in turn.
    private let assigned = Atomic(0)

    private enum Phase { case idle, starting, serving, draining, stopped }

    private struct State {
        var phase = Phase.idle
        var bound: Result<[ServerEndpoint], RPCError>?
        var addressWaiters: [UnsafeContinuation<Result<[ServerEndpoint], RPCError>, Never>] = []
        var listeners: [Listener] = []
        /// Every bound endpoint (as configured, as bound) and its address; kept after shutdown.
        var boundAddresses: [(configured: ServerEndpoint, bound: ServerEndpoint, address: SocketAddress)] = []
        /// Registrations made with ``RPCServer/registerWithRPCBind(program:version:on:)``.
        var routedRegistrations: [(UInt32, UInt32, String)] = []
        var channels: [ObjectIdentifier: Channel] = [:]
        /// The threads serving the channels, from start until `run()` returns.
        var loops: [EventLoop] = []
        var callsInFlight = 0
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
            let (listeners, bound, registered) = try await start()
            registrations = registered
            let serving = state.withLock { state in
                guard state.phase == .starting else { return false }
                state.phase = .serving
                state.listeners = listeners
                state.boundAddresses = listeners.map { ($0.endpoint, $0.endpoint.bound(to: $0.address), $0.address) }
                return true
            }
            if !serving { listeners.forEach { $0.stop() } }
            started = .success(bound)
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
        let leftovers = state.withLock { state in
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        leftovers.forEach { $0.close() }
        state.withLock { state in
            defer { state.loops = [] }
            return state.loops
        }.forEach { $0.stop() }
        await unregister(registrations + state.withLock { state in
            defer { state.routedRegistrations = [] }
            return state.routedRegistrations
        })
        for endpoint in endpoints { if case .unix(let path) = endpoint.transport { unlink(path) } }
        state.withLock { $0.phase = .stopped }
        try started.map { _ in () }.get()
    }

    /// Begins a graceful shutdown: stops accepting connections and calls,
    /// lets the calls in flight finish and send their replies, then makes
    /// ``run()`` return.
    public func shutdown() {
        let listeners = state.withLock { state -> [Listener] in
            switch state.phase {
            case .starting, .serving: state.phase = .draining
            case .idle: state.phase = .stopped
            case .draining, .stopped: break
            }
            defer { state.listeners = [] }
            return state.listeners
        }
        listeners.forEach { $0.stop() }
        finishIfDrained()
    }

    // MARK: Starting and stopping

    private func start() async throws(RPCError) -> ([Listener], [ServerEndpoint], [(UInt32, UInt32, String)]) {
        var listeners: [Listener] = []
        var bound: [ServerEndpoint] = []
        var registrations: [(UInt32, UInt32, String)] = []
        do throws(RPCError) {
            for _ in 0..<max(1, options.eventLoopCount) {
                let loop = try EventLoop()
                state.withLock { $0.loops.append(loop) }  // stopped by run() whatever happens next
            }
            for endpoint in endpoints {
                let listener = try await Listener.bind(endpoint, server: self)
                listeners.append(listener)
                bound.append(endpoint.bound(to: listener.address))
                if endpoint.registerWithRPCBind {
                    let netid = endpoint.netid(for: listener.address)
                    let address = listener.address
                    let entries = services.values.flatMap(\.values).map { ($0.program, $0.version, netid) }
                    registrations += entries
                    try await runBlocking { () throws(RPCError) in
                        for (program, version, netid) in entries {
                            try RPCBind.register(program, version, netid: netid, address: address)
                        }
                    }
                }
            }
            for (index, listener) in listeners.enumerated() {
                do { try listener.start() } catch {
                    listeners[(index + 1)...].forEach { $0.stop() }
                    listeners.removeSubrange(index...)  // the failed one has closed its socket
                    throw error
                }
            }
        } catch {
            listeners.forEach { $0.stop() }
            await unregister(registrations)
            throw error
        }
        return (listeners, bound, registrations)
    }

    private func unregister(_ registrations: [(UInt32, UInt32, String)]) async {
        guard !registrations.isEmpty else { return }
        _ = try? await runBlocking {
            for (program, version, netid) in registrations { RPCBind.unregister(program, version, netid: netid) }
        }
    }

    /// Closes every channel and resumes `run()` once draining and no call is in flight.
    private func finishIfDrained() {
        let (channels, stopped) = state.withLock { state -> ([Channel], UnsafeContinuation<Void, Never>?) in
            guard state.phase == .draining || state.phase == .stopped, state.callsInFlight == 0,
                  let stopped = state.stopped else { return ([], nil) }
            state.stopped = nil
            defer { state.channels = [:] }
            return (Array(state.channels.values), stopped)
        }
        channels.forEach { $0.close() }
        stopped?.resume()
    }

    /// The event loop for a new channel (the loops take turns); nil when the server has stopped.
    func nextLoop() -> EventLoop? {
        let turn = assigned.add(1, ordering: .relaxed).oldValue
        return state.withLock { $0.loops.isEmpty ? nil : $0.loops[turn % $0.loops.count] }
    }

    /// Adopts a new channel (an accepted connection, a UDP socket); false when shutting down.
    func adopt(_ channel: Channel) -> Bool {
        state.withLock { state in
            guard state.phase == .serving || state.phase == .starting else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func release(_ channel: Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    // MARK: Calls

    /// Handles one received call message on the channel's event-loop thread. Replies
    /// that need no handler are sent at once; a handler runs as a task
    /// started immediately on this thread, so it runs to its first
    /// suspension without a thread switch, and the thread reads on after that.
    func handle(_ message: [UInt8], from peer: SocketAddress?, on channel: Channel, layout: WireLayout) {
        var reader = MessageReader(message)
        guard let header = CallMessage.decodeHeader(&reader) else {
            logger.debug("dropping a message that is not an ONC RPC call", metadata: ["bytes": "\(message.count)"])
            if !channel.isDatagram { channel.close() }
            return
        }
        let xid = header.xid
        let procedure = header.procedure
        var cacheKey: DuplicateRequestCache.Key?
        if channel.isDatagram, let peer {
            let key = DuplicateRequestCache.Key(channel: ObjectIdentifier(channel), peer: peer, xid: xid, procedure: procedure)
            switch duplicateRequests.begin(key) {
            case .run: cacheKey = key
            case .drop: return
            case .resend(let message): try? channel.send(message, to: peer); return
            }
        }
        let logger = self.logger
        let duplicateRequests = self.duplicateRequests
        let reply = { @Sendable [cacheKey] (status: ReplyStatus) in
            var message = ReplyMessage.encode(xid: xid, status)
            do { try channel.send(message, to: peer) } catch {
                // On a stream: the caller has gone. On UDP: most likely a result too large for
                // a datagram, so the caller gets SYSTEM_ERR rather than silence.
                guard channel.isDatagram else { return }
                logger.warning("cannot send a reply", metadata: ["procedure": "\(procedure)", "error": "\(error)"])
                if case .success = status {
                    message = ReplyMessage.encode(xid: xid, .systemError)
                    try? channel.send(message, to: peer)
                }
            }
            if let cacheKey { duplicateRequests.answer(cacheKey, with: message) }
        }
        guard header.rpcVersion == 2 else { return reply(.rpcMismatch(low: 2, high: 2)) }
        var credentials: UnixCredentials?
        switch header.credentialFlavor {
        case AuthFlavor.none:
            break
        case AuthFlavor.sys:
            guard let decoded = UnixCredentials(decoding: header.credentials) else { return reply(.authError(.badCredentials)) }
            credentials = decoded
        default:
            return reply(.authError(.rejectedCredentials))
        }
        let context = RPCCallContext(
            layout: layout, peer: channel.isDatagram ? peer?.rpcPeer ?? .unknown : channel.peer,
            credentials: credentials, executor: channel.loop)
        let serve: nonisolated(nonsending) @Sendable ([UInt8], RPCCallContext) async throws(RPCError) -> [UInt8]
        var preference: (any TaskExecutor)?
        // A router logs its own failures (the broker names field and value); a dispatcher's are logged here.
        let logsFailures: Bool
        if let versions = services[procedure.program] {
            guard let dispatcher = versions[procedure.version] else {
                return reply(.programMismatch(low: versions.keys.min() ?? 0, high: versions.keys.max() ?? 0))
            }
            if procedure.procedure == 0 { return reply(.success([])) }  // NULLPROC, as rpcgen servers answer it
            logsFailures = true
            serve = { arguments, context throws(RPCError) in
                try await dispatcher.dispatch(procedure: procedure.procedure, arguments: arguments, context: context)
            }
        } else if let completionRouter {
            guard beginCall() else { return }
            completionRouter.route(procedure, arguments: reader.rest(), context: context) { result in
                self.finish(procedure, result, logsFailures: false, reply: reply)
            }
            return
        } else if let router {
            preference = router.preferredExecutor(for: procedure, context: context)
            logsFailures = false
            serve = { arguments, context throws(RPCError) in
                try await router.route(procedure, arguments: arguments, context: context)
            }
        } else {
            return reply(.programUnavailable)
        }
        guard beginCall() else { return }
        let arguments = reader.rest()
        Task.immediate(executorPreference: preference) {
            let result: Result<[UInt8], RPCError>
            do throws(RPCError) {
                result = .success(try await serve(arguments, context))
            } catch {
                result = .failure(error)
            }
            self.finish(procedure, result, logsFailures: logsFailures, reply: reply)
        }
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
        case .garbageArguments, .decodingFailed:
            if logging { logger.notice("garbage arguments", metadata: ["procedure": "\(procedure)", "error": "\(error)"]) }
            return .garbageArguments
        default:
            if logging { logger.error("procedure failed", metadata: ["procedure": "\(procedure)", "error": "\(error)"]) }
            return .systemError
        }
    }

    private func beginCall() -> Bool {
        state.withLock { state in
            guard state.phase == .serving || state.phase == .starting else { return false }
            state.callsInFlight += 1
            return true
        }
    }

    private func endCall() {
        let drained = state.withLock { state in
            state.callsInFlight -= 1
            return state.callsInFlight == 0 && state.phase == .draining
        }
        if drained { finishIfDrained() }
    }
}

// MARK: rpcbind for routed programs (used by the broker)

extension RPCServer {
    /// Registers a program version that no dispatcher serves (one a router
    /// serves) with the local rpcbind, at the address `endpoint` is bound to
    /// (`endpoint` as configured or as ``listeningEndpoints`` gives it).
    /// The registration is removed by
    /// ``unregisterFromRPCBind(program:version:on:)`` or when the server stops.
    public func registerWithRPCBind(program: UInt32, version: UInt32, on endpoint: ServerEndpoint) async throws(RPCError) {
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
