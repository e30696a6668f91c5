import CrossbitCore
import CrossbitTransport
import Logging
import Synchronization

/// The broker's control program (IDL/crossbit_broker.x): servers register
/// and unregister their routes, tools list them, ping and read counters.
struct ControlService: BrokerControl.CrossbitBrokerV1Service {
    let routes: RouteTable
    let catalog: IDLCatalog
    let forwarder: Forwarder
    let activator: Activator
    let metrics: BrokerMetrics
    let rpcbind: RPCBindRegistrar?
    /// The broker's own endpoints as bound: no route may lead back to them.
    let ownAddresses: OwnAddresses
    let logger: Logger

    func ping(context: RPCCallContext) async throws {}

    func register(_ argument: BrokerControl.BrokerRoute, context: RPCCallContext) async throws -> BrokerControl.BrokerReply {
        let name = catalog.displayName(program: argument.prog, version: argument.vers)
        guard catalog.defines(program: argument.prog, version: argument.vers) else {
            logger.warning("refused a registration: no IDL", metadata: ["program": "\(argument.prog)", "version": "\(argument.vers)"])
            return reply(.errInvalid, "no IDL of program \(argument.prog) version \(argument.vers) is loaded: give it with --idl")
        }
        let address: RPCAddress
        do {
            address = try RPCAddress(parsing: argument.address)
        } catch {
            return reply(.errInvalid, error.message)
        }
        guard !ownAddresses.contains(address) else {
            return reply(.errInvalid, "\(address) is an endpoint of this broker: its calls would loop")
        }
        let route = ServerRoute(
            program: argument.prog, version: argument.vers, layout: argument.layout.wireLayout, url: address,
            origin: .registered)
        let replaced = routes.register(route)
        if let replaced, replaced.url != route.url || replaced.layout != route.layout { forwarder.release(replaced) }
        logger.info("route registered", metadata: ["route": "\(name) → \(route.layout)@\(route.url)", "replaced": "\(replaced != nil)"])
        do {
            try await rpcbind?.register(program: route.program, version: route.version)
        } catch {
            logger.warning("cannot register with rpcbind", metadata: ["route": "\(name)", "error": "\(error)"])
        }
        return reply(.ok, replaced == nil ? "registered \(name)" : "replaced the route of \(name)")
    }

    func unregister(_ argument: BrokerControl.BrokerRouteKey, context: RPCCallContext) async throws -> BrokerControl.BrokerReply {
        guard let removed = routes.unregister(program: argument.prog, version: argument.vers) else {
            return reply(.errNotFound, "no route for program \(argument.prog) version \(argument.vers)")
        }
        forwarder.release(removed)
        await rpcbind?.unregister(program: removed.program, version: removed.version)
        logger.info("route unregistered", metadata: ["route": "\(removed)"])
        return reply(.ok, "unregistered \(catalog.displayName(program: removed.program, version: removed.version))")
    }

    func list(context: RPCCallContext) async throws -> BrokerControl.BrokerRouteList {
        BrokerControl.BrokerRouteList(routes: routes.all.map { route in
            BrokerControl.BrokerRouteEntry(
                route: BrokerControl.BrokerRoute(
                    prog: route.program, vers: route.version, layout: .init(route.layout), address: route.url.description),
                origin: route.origin == .configuration ? .configuration : .registered,
                state: activator.server(for: route)?.serverState ?? .external)
        })
    }

    func stats(context: RPCCallContext) async throws -> BrokerControl.BrokerStats {
        let snapshot = metrics.snapshot
        return BrokerControl.BrokerStats(
            calls: snapshot.calls, errors: snapshot.errors, conversions: snapshot.conversions,
            narrowingFailures: snapshot.narrowingFailures, bytesIn: snapshot.bytesIn, bytesOut: snapshot.bytesOut,
            routes: UInt32(clamping: routes.all.count), serversRunning: UInt32(clamping: activator.runningCount),
            uptimeSeconds: UInt64((ContinuousClock.now - metrics.started).components.seconds))
    }

    private func reply(_ status: BrokerControl.BrokerStatus, _ message: String) -> BrokerControl.BrokerReply {
        var message = message
        while message.utf8.count > 256 { message.removeLast() }  // BROKER_MAX_MESSAGE
        return BrokerControl.BrokerReply(status: status, message: message)
    }
}

/// The addresses the broker is bound to, known once it listens.
final class OwnAddresses: Sendable {
    private let addresses = Mutex<Set<RPCAddress>>([])

    func set(_ bound: [RPCAddress]) {
        addresses.withLock { $0 = Set(bound) }
    }

    func contains(_ address: RPCAddress) -> Bool {
        addresses.withLock { $0.contains(address) }
    }
}

extension BrokerControl.BrokerLayout {
    /// The layout of the control program's enum.
    public init(_ layout: WireLayout) {
        switch layout {
        case .ilp32: self = .ilp32
        case .lp64: self = .lp64
        }
    }

    /// The runtime's layout of this enum value.
    public var wireLayout: WireLayout {
        switch self {
        case .ilp32: .ilp32
        case .lp64: .lp64
        }
    }
}
