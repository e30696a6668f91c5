import CrossbitCore
import CrossbitTransport
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

    public init(program: UInt32, version: UInt32, layout: WireLayout, url: RPCAddress, origin: Origin) {
        self.program = program
        self.version = version
        self.layout = layout
        self.url = url
        self.origin = origin
    }

    public var description: String { "\(program).\(version) → \(layout)@\(url) (\(origin.rawValue))" }
}

/// The result of looking up a call's (program, version).
public enum RouteLookup: Sendable, Hashable {
    case found(ServerRoute)
    /// The program is routed, not this version: the versions it has.
    case versionMismatch(low: UInt32, high: UInt32)
    case programUnavailable
}

/// The broker's routes, read on every call and changed by registration;
/// safe to use from any thread.
public final class RouteTable: Sendable {
    private let routes: Mutex<[UInt32: [UInt32: ServerRoute]]>

    /// A table holding `initial` (a later route of the same program and version wins).
    public init(_ initial: [ServerRoute] = []) {
        var table: [UInt32: [UInt32: ServerRoute]] = [:]
        for route in initial { table[route.program, default: [:]][route.version] = route }
        routes = Mutex(table)
    }

    /// The route of a call, or why there is none.
    public func lookup(program: UInt32, version: UInt32) -> RouteLookup {
        routes.withLock { routes in
            guard let versions = routes[program] else { return .programUnavailable }
            if let route = versions[version] { return .found(route) }
            let known = versions.keys
            return .versionMismatch(low: known.min() ?? 0, high: known.max() ?? 0)
        }
    }

    /// Adds or replaces the route of `route.program`, `route.version`;
    /// returns the route it replaced, if any.
    @discardableResult
    public func register(_ route: ServerRoute) -> ServerRoute? {
        routes.withLock { routes in
            routes[route.program, default: [:]].updateValue(route, forKey: route.version)
        }
    }

    /// Removes a route; returns it, or nil when there was none.
    @discardableResult
    public func unregister(program: UInt32, version: UInt32) -> ServerRoute? {
        routes.withLock { routes in
            let removed = routes[program]?.removeValue(forKey: version)
            if routes[program]?.isEmpty == true { routes[program] = nil }
            return removed
        }
    }

    /// Every route, ordered by program and version.
    public var all: [ServerRoute] {
        routes.withLock { routes in
            routes.values.flatMap(\.values).sorted { ($0.program, $0.version) < ($1.program, $1.version) }
        }
    }
}
