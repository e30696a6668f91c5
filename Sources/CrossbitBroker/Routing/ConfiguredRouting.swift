public import CrossbitCore
import CrossbitIDL
import Logging

/// What a configuration routes: the IDL catalog, the configured routes
/// resolved through it, and the executables of the activated ones. Built at
/// start, on every reload and by `crossbitd --check-config`, so the three
/// check a configuration the same way; building it binds nothing.
public struct ConfiguredRouting: Sendable {
    public let catalog: IDLCatalog
    public let routes: [ServerRoute]
    let activations: [(ServerRoute, BrokerConfiguration.Activation)]

    /// Validates `configuration`, reads its IDL and resolves its routes.
    public init(_ configuration: BrokerConfiguration) throws(ConfigurationError) {
        try configuration.validate()
        let catalog = try IDLCatalog(paths: configuration.idlPaths)
        let resolved = try configuration.routes.map { route throws(ConfigurationError) in
            try Self.resolve(route, in: catalog)
        }
        self.catalog = catalog
        routes = resolved
        activations = zip(resolved, configuration.routes).compactMap { route, configured in
            configured.activation.map { (route, $0) }
        }
    }

    /// A configured route with its program and version resolved through the
    /// IDL. An unknown name gets a close match and the known names; numbers
    /// are echoed as written.
    static func resolve(
        _ route: BrokerConfiguration.Route, in catalog: IDLCatalog
    ) throws(ConfigurationError) -> ServerRoute {
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
            let known = catalog.versionNames(program: program)
            let guess = CloseMatch.didYouMean(route.version.description, among: known)
            let named = route.version.number == nil ? "named '\(route.version)'" : "\(route.version)"
            throw ConfigurationError(
                "route \(route): program \(catalog.programName(program)) has no version \(named)\(guess); \(versions)")
        }
        return ServerRoute(
            program: program, version: version, layout: route.layout, url: route.url, origin: .configuration,
            policy: route.policy)
    }

    /// One line saying what the configuration holds, for `--check-config` and reload logs.
    public var summary: String {
        let programs = catalog.programVersionCount
        return "\(routes.count) route(s), \(activations.count) activated, \(programs) program version(s) in the IDL"
    }

    /// The routing of these routes and the run-time registrations of
    /// `previous` that no configured route now takes (each one that is
    /// taken is passed to `displaced`). Activated servers of `previous`
    /// whose route and executable are unchanged are kept.
    func routing(
        replacing previous: Routing?, logger: Logger, displaced: (ServerRoute) -> Void = { _ in }
    ) -> Routing {
        let configured = Set(routes.map { programVersionKey($0.program, $0.version) })
        let registered = (previous?.all ?? []).filter { $0.origin == .registered }
        var kept: [ServerRoute] = []
        for route in registered {
            if configured.contains(programVersionKey(route.program, route.version)) {
                displaced(route)
            } else {
                kept.append(route)
            }
        }
        let activator = Activator(activations, reusing: previous?.activator, logger: logger)
        return Routing(catalog: catalog, routes: routes + kept, activator: activator)
    }
}
