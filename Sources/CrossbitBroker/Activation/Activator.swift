import CrossbitBrokerControl
import CrossbitCore
import Logging

/// The activated servers of the configured routes, by program and version.
/// Routes without an executable have none: their calls never wait here.
final class Activator: Sendable {
    private let servers: [UInt64: ActivatedServer]

    /// One server per route of `routes` that names an executable; a server
    /// of `previous` whose route and executable are unchanged is kept, so a
    /// reload leaves it running.
    init(
        _ routes: [(ServerRoute, BrokerConfiguration.Activation)], reusing previous: Activator? = nil, logger: Logger
    ) {
        var servers: [UInt64: ActivatedServer] = [:]
        for (route, activation) in routes {
            let key = programVersionKey(route.program, route.version)
            if let kept = previous?.servers[key], kept.route == route, kept.activation == activation {
                servers[key] = kept
            } else {
                servers[key] = ActivatedServer(route: route, activation: activation, logger: logger)
            }
        }
        self.servers = servers
    }

    /// The activated server behind `route`, if the route is a configured
    /// one naming an executable (a server registering later replaces it).
    func server(for route: ServerRoute) -> ActivatedServer? {
        guard !servers.isEmpty, route.origin == .configuration else { return nil }
        guard let server = servers[programVersionKey(route.program, route.version)], server.route == route else {
            return nil
        }
        return server
    }

    /// Every server, in no particular order.
    var all: [ActivatedServer] {
        Array(servers.values)
    }

    /// The servers of this activator that `successor` does not keep.
    func retired(by successor: Activator) -> [ActivatedServer] {
        servers.values.filter { server in !successor.servers.values.contains { $0 === server } }
    }

    /// How many activated servers run now.
    var runningCount: Int {
        servers.values.count { $0.serverState == .running }
    }

    /// Stops every server (at broker shutdown).
    func shutDown(logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            for server in servers.values {
                group.addTask { await server.shutDown() }
            }
        }
        do {
            try ServerOutput.removeDirectoryIfEmpty()
        } catch {
            logger.warning("cannot remove the folder of the servers' output files: \(error)")
        }
    }
}
