import CrossbitCore
import CrossbitTransport
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
        rpcbind = configuration.rpcbindTCPListener.map {
            RPCBindRegistrar(endpoint: $0.serverEndpoint, logger: logger)
        }
        let metrics = BrokerMetrics()
        let ownAddresses = OwnAddresses()
        self.ownAddresses = ownAddresses
        let control = ControlService(
            routes: routes, catalog: catalog, forwarder: forwarder, activator: activator, metrics: metrics, rpcbind: rpcbind,
            ownAddresses: ownAddresses, logger: logger)
        let router = BrokerRouter(
            routes: routes, catalog: catalog, forwarder: forwarder, activator: activator, metrics: metrics, logger: logger)
        server = RPCServer(
            services: [BrokerControl.CrossbitBrokerV1Dispatcher(service: control)], router: router,
            endpoints: endpoints, logger: logger)
        rpcbind?.attach(server)
    }

    /// A configured route with its program and version resolved through the IDL.
    static func resolve(_ route: BrokerConfiguration.Route, in catalog: IDLCatalog) throws(ConfigurationError) -> ServerRoute {
        guard let program = catalog.programNumber(route.program) else {
            throw ConfigurationError("route \(route): no loaded IDL defines a program named '\(route.program)'")
        }
        guard let version = catalog.versionNumber(route.version, program: program) else {
            throw ConfigurationError("route \(route): program \(route.program) has no version named '\(route.version)'")
        }
        guard catalog.defines(program: program, version: version) else {
            throw ConfigurationError(
                "route \(route): no IDL loaded for program \(program) version \(version): give its .x file with --idl")
        }
        return ServerRoute(program: program, version: version, layout: route.layout, url: route.url, origin: .configuration)
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
            let listening = bound.map { "\($0.layout)=\($0.address)" }.joined(separator: " ")
            let registrations = Task { await rpcbind?.keepRegistered() }
            logger.info("crossbitd ready: \(listening)")
            try? await gracefulShutdown()
            logger.info("shutting down: finishing the calls in flight")
            registrations.cancel()
            await rpcbind?.unregisterAll()
            server.shutdown()
        }
        forwarder.closeAll()
        await activator.shutDown()
        logger.info("crossbitd stopped")
    }
}

extension BrokerConfiguration.Listener {
    /// The transport's endpoint for this listener.
    var serverEndpoint: ServerEndpoint {
        switch url {
        case .tcp(let host, let port): .tcp(host: host, port: port, layout: layout)
        case .udp(let host, let port): .udp(host: host, port: port, layout: layout)
        case .unix(let path): .unix(path: path, layout: layout)
        case .rpcbind: .tcp(port: 0, layout: layout)  // rejected by validation
        }
    }
}
