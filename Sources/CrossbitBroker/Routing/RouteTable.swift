public import CrossbitCore
public import CrossbitTransport
import Logging
import Synchronization

/// Where calls to one (program, version) go.
public struct ServerRoute: Sendable, Hashable, CustomStringConvertible {
    /// How the route became known.
    public enum Origin: String, Sendable, Hashable {
        /// From the TOML file or a `--route` flag.
        case configuration
        /// Registered at run time through the control program.
        case registered
    }

    public var program: UInt32
    public var version: UInt32
    /// The layout the server speaks.
    public var layout: WireLayout
    public var url: RPCAddress
    public var origin: Origin
    /// Who may call, what is checked, what happens to trailing bytes.
    public var policy: RoutePolicy
    /// The user that registered the route (nil for the configuration's):
    /// only that user or root may replace or remove it.
    public var owner: UInt32?

    public init(
        program: UInt32, version: UInt32, layout: WireLayout, url: RPCAddress, origin: Origin,
        policy: RoutePolicy = RoutePolicy(), owner: UInt32? = nil
    ) {
        self.program = program
        self.version = version
        self.layout = layout
        self.url = url
        self.origin = origin
        self.policy = policy
        self.owner = owner
    }

    public var description: String { "\(program).\(version) → \(layout)@\(url) (\(origin.rawValue))" }
}

/// The rules a route applies to the calls it forwards (docs/security.md).
public struct RoutePolicy: Sendable, Hashable {
    /// Who may call; others get AUTH_TOOWEAK and never reach the server.
    public var access: PeerAccess
    /// What is checked in calls and replies on top of what decoding needs.
    public var checks: ValidationChecks
    /// What happens to bytes after a complete call or reply.
    public var trailingBytes: TrailingBytesPolicy

    public init(
        access: PeerAccess = .anyone, checks: ValidationChecks = .all, trailingBytes: TrailingBytesPolicy = .ignore
    ) {
        self.access = access
        self.checks = checks
        self.trailingBytes = trailingBytes
    }
}

/// The result of looking up a call's (program, version).
public enum RouteLookup: Sendable, Hashable {
    case found(ServerRoute)
    /// The program is routed, not this version: the versions it has.
    case versionMismatch(low: UInt32, high: UInt32)
    case programUnavailable
}

/// Everything a call is routed by: the programs known from the IDL, the
/// routes, and the servers the broker starts. Immutable: a call reads one
/// snapshot once and finishes on it, whatever a reload or a registration
/// swaps in meanwhile (docs/operations.md).
public struct Routing: Sendable {
    /// The programs known from the IDL, with their conversion plans.
    public let catalog: IDLCatalog
    /// The activated servers of the configured routes.
    let activator: Activator
    fileprivate var routes: [UInt32: [UInt32: ServerRoute]]

    init(catalog: IDLCatalog, routes: [ServerRoute], activator: Activator) {
        self.catalog = catalog
        self.activator = activator
        var table: [UInt32: [UInt32: ServerRoute]] = [:]
        for route in routes { table[route.program, default: [:]][route.version] = route }
        self.routes = table
    }

    /// The route of a call, or why there is none.
    public func lookup(program: UInt32, version: UInt32) -> RouteLookup {
        guard let versions = routes[program] else { return .programUnavailable }
        if let route = versions[version] { return .found(route) }
        let known = versions.keys
        return .versionMismatch(low: known.min() ?? 0, high: known.max() ?? 0)
    }

    /// Every route, ordered by program and version.
    public var all: [ServerRoute] {
        routes.values.flatMap(\.values).sorted { ($0.program, $0.version) < ($1.program, $1.version) }
    }
}

/// The broker's current ``Routing``, read on every call and replaced by
/// registration and reload; safe to use from any thread.
public final class RouteTable: Sendable {
    private let routing: Mutex<Routing>

    /// A table holding `initial` (a later route of the same program and
    /// version wins), with no IDL and no activated servers.
    public convenience init(_ initial: [ServerRoute] = []) {
        let activator = Activator([], logger: Logger(label: "crossbitd"))
        self.init(Routing(catalog: IDLCatalog(), routes: initial, activator: activator))
    }

    init(_ routing: Routing) {
        self.routing = Mutex(routing)
    }

    /// The routing now: read it once per call and keep to it.
    public var current: Routing {
        routing.withLock { $0 }
    }

    /// The route of a call in the current routing, or why there is none.
    public func lookup(program: UInt32, version: UInt32) -> RouteLookup {
        current.lookup(program: program, version: version)
    }

    /// Every route of the current routing, ordered by program and version.
    public var all: [ServerRoute] {
        current.all
    }

    /// Replaces the routing by what `change` makes of it, under the lock
    /// registrations take, so that none is lost; returns the one replaced.
    func replace(_ change: (Routing) -> Routing) -> Routing {
        routing.withLock { routing in
            let previous = routing
            routing = change(previous)
            return previous
        }
    }

    /// Adds or replaces the route of `route.program`, `route.version`
    /// unless `refusal` gives a reason not to replace the one there
    /// (checked and changed under one lock, so that no registration slips
    /// in between); returns the route it replaced, if any.
    public func register(
        _ route: ServerRoute, unless refusal: (ServerRoute) -> String?
    ) -> Result<ServerRoute?, RouteChangeRefused> {
        routing.withLock { routing in
            if let existing = routing.routes[route.program]?[route.version], let reason = refusal(existing) {
                return .failure(RouteChangeRefused(reason: reason))
            }
            return .success(routing.routes[route.program, default: [:]].updateValue(route, forKey: route.version))
        }
    }

    /// Removes a route unless `refusal` gives a reason not to; returns it,
    /// or nil when there was none.
    public func unregister(
        program: UInt32, version: UInt32, unless refusal: (ServerRoute) -> String?
    ) -> Result<ServerRoute?, RouteChangeRefused> {
        routing.withLock { routing in
            guard let existing = routing.routes[program]?[version] else { return .success(nil) }
            if let reason = refusal(existing) { return .failure(RouteChangeRefused(reason: reason)) }
            routing.routes[program]?[version] = nil
            if routing.routes[program]?.isEmpty == true { routing.routes[program] = nil }
            return .success(existing)
        }
    }
}

/// Why a route may not be replaced or removed by the caller who asked.
public struct RouteChangeRefused: Error, Sendable, Hashable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
