import CrossbitBrokerControl
import CrossbitCore
import CrossbitTransport
import Logging
import Synchronization

/// The broker's control program (IDL/crossbit_broker.x): servers register
/// and unregister their routes, tools list them, ping and read counters.
///
/// Changing routes is for callers the kernel vouches for (docs/security.md):
/// anyone who could register could send every call of a program anywhere.
struct ControlService: BrokerControl.CrossbitBrokerV1Service {
    /// The routing, with the IDL catalog and the activated servers of the moment.
    let routes: RouteTable
    let forwarder: Forwarder
    let metrics: BrokerMetrics
    let rpcbind: RPCBindRegistrar?
    /// The broker's own endpoints as bound: no route may lead back to them.
    let ownAddresses: OwnAddresses
    /// Who may change routes, and where routes may lead.
    let policy: ControlPolicy
    /// The user the broker runs as, allowed to change routes with root.
    let brokerUID: UInt32
    let logger: Logger

    func ping(context: RPCCallContext) async throws {}

    func register(
        _ argument: BrokerControl.BrokerRoute, context: RPCCallContext
    ) async throws -> BrokerControl.BrokerReply {
        let catalog = routes.current.catalog
        let name = catalog.displayName(program: argument.prog, version: argument.vers)
        let caller: PeerCredentials
        switch authorize(context.peer, "register \(name)") {
        case .success(let credentials): caller = credentials
        case .failure(let denied): return denied.reply
        }
        guard catalog.defines(program: argument.prog, version: argument.vers) else {
            logger.warning(
                "refused a registration: no IDL",
                metadata: ["program": "\(argument.prog)", "version": "\(argument.vers)"])
            return reply(
                .errInvalid,
                "no IDL of program \(argument.prog) version \(argument.vers) is loaded: give it with --idl")
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
        guard policy.allowRemoteTargets || address.isOnThisHost else {
            let reason =
                "\(address) is not on this host: routes lead to unix sockets or loopback addresses"
                + " unless [control] allow-remote-targets is set"
            return deny(context.peer, "register \(name)", reason).reply
        }
        let route = ServerRoute(
            program: argument.prog, version: argument.vers, layout: argument.layout.wireLayout, url: address,
            origin: .registered, owner: caller.uid)
        let replaced: ServerRoute?
        switch routes.register(route, unless: { refusal(changing: $0, named: name, by: caller) }) {
        case .success(let previous): replaced = previous
        case .failure(let refused): return deny(context.peer, "register \(name)", refused.reason).reply
        }
        if let replaced, replaced.url != route.url || replaced.layout != route.layout { forwarder.release(replaced) }
        logger.info(
            "route registered",
            metadata: [
                "route": "\(name) → \(route.layout)@\(route.url)", "replaced": "\(replaced != nil)",
                "by": "\(caller)",
            ])
        do {
            try await rpcbind?.register(program: route.program, version: route.version)
        } catch {
            logger.warning("cannot register with rpcbind", metadata: ["route": "\(name)", "error": "\(error)"])
        }
        return reply(.ok, replaced == nil ? "registered \(name)" : "replaced the route of \(name)")
    }

    func unregister(
        _ argument: BrokerControl.BrokerRouteKey, context: RPCCallContext
    ) async throws -> BrokerControl.BrokerReply {
        let name = routes.current.catalog.displayName(program: argument.prog, version: argument.vers)
        let caller: PeerCredentials
        switch authorize(context.peer, "unregister \(name)") {
        case .success(let credentials): caller = credentials
        case .failure(let denied): return denied.reply
        }
        let change = routes.unregister(program: argument.prog, version: argument.vers) {
            refusal(changing: $0, named: name, by: caller)
        }
        switch change {
        case .failure(let refused):
            return deny(context.peer, "unregister \(name)", refused.reason).reply
        case .success(nil):
            return reply(.errNotFound, "no route for program \(argument.prog) version \(argument.vers)")
        case .success(let removed?):
            forwarder.release(removed)
            await rpcbind?.unregister(program: removed.program, version: removed.version)
            logger.info("route unregistered", metadata: ["route": "\(removed)", "by": "\(caller)"])
            return reply(.ok, "unregistered \(name)")
        }
    }

    /// A denial, as a reply and as the error of a `Result`.
    struct Denied: Error {
        var reply: BrokerControl.BrokerReply
    }

    /// The caller's credentials when it may change routes at all.
    private func authorize(_ peer: RPCPeer, _ action: String) -> Result<PeerCredentials, Denied> {
        guard let credentials = peer.credentials else {
            let reason =
                "routes are changed only over a unix-socket endpoint of the broker,"
                + " where the kernel vouches for the caller\(unixEndpointHint)"
            return .failure(deny(peer, action, reason))
        }
        guard policy.access(brokerUID: brokerUID).allows(peer) else {
            let reason =
                "uid \(credentials.uid) may not change routes:"
                + " root, uid \(brokerUID) and the [control] allow-uids and allow-gids may"
            return .failure(deny(peer, action, reason))
        }
        return .success(credentials)
    }

    /// Why `caller` may not replace or remove `existing` (shown as `name`),
    /// or nil. Called under the route table's lock: it must not read the table.
    private func refusal(changing existing: ServerRoute, named name: String, by caller: PeerCredentials) -> String? {
        if existing.origin == .configuration {
            return "the route of \(name) comes from the configuration and cannot be changed at run time"
        }
        if let owner = existing.owner, owner != caller.uid, caller.uid != 0 {
            return "the route was registered by uid \(owner): only that user or root may change it"
        }
        return nil
    }

    /// Logs and counts a denial and builds its reply.
    private func deny(_ peer: RPCPeer, _ action: String, _ reason: String) -> Denied {
        logger.warning(
            "control call denied", metadata: ["peer": "\(peer)", "action": "\(action)", "reason": "\(reason)"])
        metrics.recordDenial(.control)
        return Denied(reply: reply(.errDenied, "denied: \(reason)"))
    }

    /// Where to register instead, for a caller that came over the network.
    private var unixEndpointHint: String {
        let paths = ownAddresses.all.compactMap { address -> String? in
            if case .unix = address { return address.description } else { return nil }
        }
        guard !paths.isEmpty else { return " (this broker has none: add a [[listen]] unix:// endpoint)" }
        return ": use \(paths.joined(separator: " or "))"
    }

    func list(context: RPCCallContext) async throws -> BrokerControl.BrokerRouteList {
        let routing = routes.current
        return BrokerControl.BrokerRouteList(
            routes: routing.all.map { route in
                BrokerControl.BrokerRouteEntry(
                    route: BrokerControl.BrokerRoute(
                        prog: route.program, vers: route.version, layout: .init(route.layout),
                        address: route.url.description),
                    origin: route.origin == .configuration ? .configuration : .registered,
                    state: routing.activator.server(for: route)?.serverState ?? .external)
            })
    }

    func stats(context: RPCCallContext) async throws -> BrokerControl.BrokerStats {
        let snapshot = metrics.snapshot
        let routing = routes.current
        return BrokerControl.BrokerStats(
            calls: snapshot.calls, errors: snapshot.errors, conversions: snapshot.conversions,
            narrowingFailures: snapshot.narrowingFailures, bytesIn: snapshot.bytesIn, bytesOut: snapshot.bytesOut,
            routes: UInt32(clamping: routing.all.count),
            serversRunning: UInt32(clamping: routing.activator.runningCount),
            uptimeSeconds: UInt64((ContinuousClock.now - metrics.started).components.seconds),
            controlDenials: snapshot.controlDenials, callDenials: snapshot.callDenials,
            invalidMessages: snapshot.invalidMessages, trailingBytesIgnored: snapshot.trailingBytesIgnored)
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

    var all: [RPCAddress] {
        addresses.withLock { $0.sorted { $0.description < $1.description } }
    }
}

extension RPCAddress {
    /// Whether the address is on this host: a unix socket, or a loopback
    /// address written as such (a host name could be made to resolve anywhere).
    var isOnThisHost: Bool {
        switch self {
        case .unix: true
        case .tcp(let host, _), .udp(let host, _), .rpcbind(let host, _):
            host == "localhost" || IPAddress(host)?.isLoopback == true
        }
    }
}
