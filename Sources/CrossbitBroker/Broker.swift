import CrossbitBrokerControl
import CrossbitCore
import CrossbitIDL
import CrossbitTransport
import Glibc
import Logging
import ServiceLifecycle

/// The broker daemon as a service: it listens on its endpoints, routes
/// every call to its server and converts width-dependent values between
/// the caller's layout and the server's.
public final class Broker: Service, Sendable {
    public let configuration: BrokerConfiguration
    /// The routes, changed at run time through the control program.
    public let routes: RouteTable
    /// The programs known from the IDL, with their conversion plans.
    public let catalog: IDLCatalog
    private let server: RPCServer
    private let forwarder: Forwarder
    private let rpcbind: RPCBindRegistrar?
    private let ownAddresses: OwnAddresses
    private let activator: Activator
    private let logger: Logger

    /// Prepares a broker: reads the IDL of its routes and resolves them.
    /// Throws when an IDL file or a route is unusable; nothing is bound yet.
    public init(configuration: BrokerConfiguration, logger: Logger) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let catalog = try IDLCatalog(paths: configuration.idlPaths)
        self.catalog = catalog
        let resolved = try configuration.routes.map { route throws(ConfigurationError) in
            try Self.resolve(route, in: catalog)
        }
        routes = RouteTable(resolved)
        let activated = zip(resolved, configuration.routes).compactMap { route, configured in
            configured.activation.map { (route, $0) }
        }
        let activator = Activator(activated, logger: logger)
        self.activator = activator
        forwarder = Forwarder(callTimeout: configuration.callTimeout ?? BrokerConfiguration.defaultCallTimeout)
        let endpoints = configuration.listeners.map(\.serverEndpoint)
        let registered = configuration.rpcbindListeners.map(\.serverEndpoint)
        rpcbind = registered.isEmpty ? nil : RPCBindRegistrar(endpoints: registered, logger: logger)
        let metrics = BrokerMetrics()
        let ownAddresses = OwnAddresses()
        self.ownAddresses = ownAddresses
        let control = ControlService(
            routes: routes, catalog: catalog, forwarder: forwarder, activator: activator, metrics: metrics, rpcbind: rpcbind,
            ownAddresses: ownAddresses, policy: configuration.control, brokerUID: getuid(), logger: logger)
        let router = BrokerRouter(
            routes: routes, catalog: catalog, forwarder: forwarder, activator: activator, metrics: metrics, logger: logger)
        server = RPCServer(
            services: [BrokerControl.CrossbitBrokerV1Dispatcher(service: control)], router: router,
            endpoints: endpoints, logger: logger)
        rpcbind?.attach(server)
        metrics.countEndpointDenials { [weak server] in server?.deniedCallCount ?? 0 }
    }

    /// A configured route with its program and version resolved through the
    /// IDL. An unknown name gets a close match and the known names; numbers
    /// are echoed as written.
    static func resolve(_ route: BrokerConfiguration.Route, in catalog: IDLCatalog) throws(ConfigurationError) -> ServerRoute {
        guard !catalog.isEmpty else {
            throw ConfigurationError("route \(route): no IDL loaded: give it with --idl (or idl = in the config file)")
        }
        let programs = "known programs: \(catalog.programList)"
        guard let program = catalog.programNumber(route.program) else {
            let guess = CloseMatch.didYouMean(route.program.description, among: catalog.programNames)
            throw ConfigurationError(
                "route \(route): no loaded IDL defines a program named '\(route.program)'\(guess); \(programs)")
        }
        guard catalog.defines(program: program) else {
            throw ConfigurationError(
                "route \(route): no loaded IDL defines program \(route.program): give its .x file with --idl; "
                    + programs)
        }
        let versions = "known versions: \(catalog.versionList(program: program))"
        guard let version = catalog.versionNumber(route.version, program: program),
            catalog.defines(program: program, version: version)
        else {
            let guess = CloseMatch.didYouMean(route.version.description, among: catalog.versionNames(program: program))
            let named = route.version.number == nil ? "named '\(route.version)'" : "\(route.version)"
            throw ConfigurationError(
                "route \(route): program \(catalog.programName(program)) has no version \(named)\(guess); \(versions)")
        }
        return ServerRoute(
            program: program, version: version, layout: route.layout, url: route.url, origin: .configuration,
            policy: route.policy)
    }

    /// The endpoints as bound (ports chosen for port 0), once ``run()`` bound them.
    public var listeningEndpoints: [ServerEndpoint] {
        get async throws(RPCError) { try await server.listeningEndpoints }
    }

    /// Listens until a graceful shutdown, then finishes the calls in flight.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.server.run() }
            let bound = try await server.listeningEndpoints
            ownAddresses.set(bound.map(\.address))
            for route in routes.all {
                logger.info("route", metadata: ["route": "\(catalog.displayName(program: route.program, version: route.version)) → \(route.layout)@\(route.url)"])
                // A server reached through rpcbind registers itself there; the broker must not replace it.
                if case .rpcbind = route.url { continue }
                try await rpcbind?.register(program: route.program, version: route.version)
            }
            warnAboutOpenEndpoints()
            let listening = bound.map { "\($0.layout)=\($0.address)" }.joined(separator: " ")
            logger.info("crossbitd ready: \(listening)")
            try? await gracefulShutdown()
            logger.info("shutting down: finishing the calls in flight")
            await rpcbind?.unregisterAll()
            server.shutdown()
        }
        forwarder.closeAll()
        await activator.shutDown(logger: logger)
        logger.info("crossbitd stopped")
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
        return ServerEndpoint(
            transport, layout: layout, access: PeerAccess(networks: allowFrom), socketPermissions: socketPermissions)
    }
}
