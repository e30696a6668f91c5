import CrossbitBrokerControl
public import CrossbitCore
public import CrossbitTransport
import Glibc
public import Logging
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// The broker daemon as a service: it listens on its endpoints, routes
/// every call to its server and converts width-dependent values between
/// the caller's layout and the server's.
public final class Broker: Service, Sendable {
    /// The configuration the broker started with: a reload replaces its
    /// routes and IDL, never its endpoints (docs/operations.md).
    public let configuration: BrokerConfiguration
    /// The routes, changed at run time through the control program and by reloads.
    public let routes: RouteTable
    private let server: RPCServer
    private let forwarder: Forwarder
    let rpcbind: RPCBindRegistrar?
    private let ownAddresses: OwnAddresses
    let notifier: SystemdNotifier?
    /// Reads the configuration again for a reload (SIGHUP); nil: no reloads.
    let reloadSource: (@Sendable () throws(ConfigurationError) -> BrokerConfiguration)?
    /// Servers whose route a reload removed, stopping once their calls finish.
    let retiring = Mutex<[Task<Void, Never>]>([])
    let metrics: BrokerMetrics
    /// The endpoints as bound, once they are (for the metrics, read while a scrape waits on no task).
    private let boundEndpoints = Mutex<[ServerEndpoint]>([])
    let logger: Logger

    /// Prepares a broker: reads the IDL of its routes and resolves them.
    /// Throws when an IDL file or a route is unusable; nothing is bound yet.
    /// With a `notifier`, systemd hears when the broker is ready, reloads
    /// and stops; with a `reloadSource`, SIGHUP reloads the routes.
    public init(
        configuration: BrokerConfiguration, logger: Logger, notifier: SystemdNotifier? = nil,
        reloadSource: (@Sendable () throws(ConfigurationError) -> BrokerConfiguration)? = nil
    ) throws(ConfigurationError) {
        let configured = try ConfiguredRouting(configuration)
        self.configuration = configuration
        self.logger = logger
        self.notifier = notifier
        self.reloadSource = reloadSource
        routes = RouteTable(configured.routing(replacing: nil, logger: logger))
        forwarder = Forwarder(callTimeout: configuration.callTimeout ?? BrokerConfiguration.defaultCallTimeout)
        let registered = configuration.rpcbindListeners.map(\.serverEndpoint)
        rpcbind = registered.isEmpty ? nil : RPCBindRegistrar(endpoints: registered, logger: logger)
        let metrics = BrokerMetrics()
        self.metrics = metrics
        let ownAddresses = OwnAddresses()
        self.ownAddresses = ownAddresses
        let control = ControlService(
            routes: routes, forwarder: forwarder, metrics: metrics, rpcbind: rpcbind,
            ownAddresses: ownAddresses, policy: configuration.control, brokerUID: getuid(), logger: logger)
        let router = BrokerRouter(routes: routes, forwarder: forwarder, metrics: metrics, logger: logger)
        server = RPCServer(
            services: [BrokerControl.CrossbitBrokerV1Dispatcher(service: control)], router: router,
            endpoints: configuration.listeners.map(\.serverEndpoint),
            options: configuration.serverOptions ?? RPCServer.Options(), logger: logger)
        rpcbind?.attach(server)
        metrics.countEndpointDenials { [weak server] in server?.deniedCallCount ?? 0 }
    }

    /// The programs known from the IDL now (a reload may change them).
    public var catalog: IDLCatalog { routes.current.catalog }

    /// Brings the gauges read at scrape time up to date (the activated
    /// servers' state); the metrics endpoint calls it before each scrape.
    public func updateScrapedGauges() {
        metrics.recordServers(of: routes.current)
        metrics.recordEndpoints(of: server, bound: boundEndpoints.withLock { $0 })
    }

    /// The endpoints as bound (ports chosen for port 0), once ``run()`` bound them.
    public var listeningEndpoints: [ServerEndpoint] {
        get async throws(RPCError) { try await server.listeningEndpoints }
    }

    /// Listens until a graceful shutdown, then finishes the calls in flight.
    public func run() async throws {
        // Trapped before READY=1: from then on a SIGHUP must reload, not kill.
        let hangUps = reloadSource == nil ? nil : await UnixSignalsSequence(trapping: .sighup)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.server.run() }
            let bound = try await server.listeningEndpoints
            ownAddresses.set(bound.map(\.address))
            boundEndpoints.withLock { $0 = bound }
            for listener in configuration.listeners {
                guard let passed = listener.passedSocket else { continue }
                logger.info("endpoint \(listener) serves on \(passed), passed by systemd")
            }
            try await announce(routes.all)
            warnAboutOpenEndpoints()
            let listening = bound.map { "\($0.layout)=\($0.address)" }.joined(separator: " ")
            let registrations = Task { await rpcbind?.keepRegistered() }
            logger.info("crossbitd ready: \(listening)")
            notifier?.send(.ready)
            await withDiscardingTaskGroup { chores in
                if let notifier { chores.addTask { await notifier.keepWatchdogFed() } }
                if let hangUps { chores.addTask { for await _ in hangUps { await self.reloadFromSource() } } }
                try? await gracefulShutdown()
                chores.cancelAll()
            }
            notifier?.send(.stopping)
            logger.info("shutting down: finishing the calls in flight")
            registrations.cancel()
            await rpcbind?.unregisterAll()
            server.shutdown()
        }
        forwarder.closeAll()
        for task in retiring.withLock({ $0 }) { await task.value }
        await routes.current.activator.shutDown(logger: logger)
        logger.info("crossbitd stopped")
    }

    /// Logs routes and registers their programs with rpcbind.
    func announce(_ added: [ServerRoute]) async throws {
        let catalog = routes.current.catalog
        for route in added {
            let name = catalog.displayName(program: route.program, version: route.version)
            logger.info("route", metadata: ["route": "\(name) → \(route.layout)@\(route.url)"])
            // A server reached through rpcbind registers itself there; the broker must not replace it.
            if case .rpcbind = route.url { continue }
            try await rpcbind?.register(program: route.program, version: route.version)
        }
    }
}

extension Broker {
    /// Says at start which endpoints anyone may reach: TCP on every
    /// interface without `allow-from`, unix sockets anyone may write.
    private func warnAboutOpenEndpoints() {
        for listener in configuration.listeners {
            if listener.listensOnEveryInterface {
                let open = listener.allowFrom.isEmpty ? ", from any address (set allow-from)" : ""
                logger.warning("endpoint \(listener.url) listens on every interface\(open)")
            }
            if case .unix = listener.url, listener.socketPermissions.mode & 0o002 != 0 {
                let mode = String(listener.socketPermissions.mode, radix: 8)
                logger.warning("endpoint \(listener.url) is writable by every local user (mode \(mode))")
            }
        }
    }
}

extension BrokerConfiguration.Listener {
    /// The transport's endpoint for this listener.
    var serverEndpoint: ServerEndpoint {
        let transport: ServerEndpoint.Transport
        switch url {
        case .tcp(let host, let port): transport = .tcp(host: host, port: port)
        case .udp(let host, let port): transport = .udp(host: host, port: port)
        case .unix(let path): transport = .unix(path: path)
        case .rpcbind: transport = .tcp(host: "127.0.0.1", port: 0)  // rejected by validation
        }
        var endpoint = ServerEndpoint(
            transport, layout: layout, access: PeerAccess(networks: allowFrom), socketPermissions: socketPermissions)
        endpoint.boundSocket = passedSocket
        return endpoint
    }
}
