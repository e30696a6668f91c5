import ArgumentParser
import CrossbitBroker
import CrossbitCommandLine
import CrossbitTransport
import FoundationEssentials
import Glibc
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The Crossbit broker daemon: routes ONC RPC calls between 32-bit and
/// 64-bit clients and servers, converting width-dependent values.
@main
struct Crossbitd: CrossbitCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossbitd",
        abstract: "Routes ONC RPC calls between 32-bit and 64-bit processes, converting width-dependent values."
    )

    @Option(name: .long, help: ArgumentHelp("A TOML configuration file; flags add to it.", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("A .x file or a folder of them (repeatable).", valueName: "PATH"))
    var idl: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "An endpoint: ilp32|lp64 = tcp://HOST:PORT or unix:///PATH (repeatable).", valueName: "LAYOUT=URL"))
    var listen: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A route: program and version (numbers or IDL names) to a server's layout and address (repeatable).",
            valueName: "PROG:VERS=LAYOUT@URL"))
    var route: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Start the server of the --route PROG:VERS on its first call (repeatable); that route may "
                + "leave out its layout (PROG:VERS=@URL): the executable's ELF class gives it.",
            valueName: "PROG:VERS=EXECUTABLE [ARGUMENT...]"))
    var exec: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Register the routed programs with rpcbind at the TCP endpoint of this layout.", valueName: "LAYOUT"))
    var rpcbind: String?

    @Option(
        name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Let this local user register and unregister routes, besides root and the broker's own user (repeatable).",
            valueName: "UID|NAME"))
    var controlAllowUid: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Let local users of this primary group register and unregister routes (repeatable).", valueName: "GID|NAME")
    )
    var controlAllowGid: [String] = []

    @Flag(name: .long, help: "Let registered routes lead to other hosts (by default: unix sockets and loopback only).")
    var allowRemoteTargets = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "text (one line per message) or json (one object per line, for journald and log shippers).",
            valueName: "FORMAT"))
    var logFormat: LogFormat = .text

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve the metrics in Prometheus's text format at this URL, e.g. http://127.0.0.1:9464/metrics.",
            valueName: "URL"))
    var metrics: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Check a configuration file and its IDL (with the other flags added), print a summary and exit: "
                + "0 when usable, 2 when not.",
            valueName: "FILE"))
    var checkConfig: String?

    /// A configuration that cannot be used is a ``ConfigurationError`` (a
    /// `RuntimeError`): ArgumentParser prints it after "crossbitd: error: "
    /// and ``CrossbitCommand`` exits 2 (systemd's unit and `--check-config`
    /// users rely on it).
    static var _errorPrefix: String { "crossbitd: error: " }

    func run() async throws {
        // A peer that goes away must cost a failed write, not the daemon.
        signal(SIGPIPE, SIG_IGN)
        if let checkConfig { return try check(checkConfig) }
        let passed = try PassedSockets.fromEnvironment()
        let configuration = try readConfiguration(file: config, passed: passed)
        let level = configuration.logLevel ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { label in format.handler(label: label, level: level) }
        let logger = Logger(label: "crossbitd")
        // Large messages reuse the heap's memory instead of faulting fresh pages in for every buffer.
        let largest = (configuration.serverOptions ?? RPCServer.Options()).maximumMessageSize
        if !MessageMemory.keepFreedBuffers(upTo: largest) {
            logger.warning("glibc refused the malloc thresholds for messages of \(largest) bytes: it keeps its own")
        }
        // Before the broker makes its counters: they take their backend from here.
        let registry = PrometheusCollectorRegistry()
        if configuration.metricsURL != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        let notifier = try SystemdNotifier.fromEnvironment(logger: logger)
        // SIGHUP reads the same file with the same flags again.
        let options = self
        let broker = try Broker(configuration: configuration, logger: logger, notifier: notifier) {
            () throws(ConfigurationError) in try options.readConfiguration(file: options.config, passed: passed)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: broker)]
        if let url = configuration.metricsURL {
            let endpoint = try MetricsEndpoint(url: url, registry: registry, logger: logger) {
                broker.updateScrapedGauges()
            }
            services.append(.init(service: endpoint))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// The configuration file `file` (if any) with the command line's flags added and the sockets systemd
    /// `passed` adopted, validated.
    func readConfiguration(
        file: String?, passed: PassedSockets = PassedSockets()
    ) throws(ConfigurationError) -> BrokerConfiguration {
        let control = try ControlPolicy(
            allowUsers: controlAllowUid, allowGroups: controlAllowGid, allowRemoteTargets: allowRemoteTargets)
        return try BrokerConfiguration(
            file: file, idl: idl, listen: listen, route: route, rpcbind: rpcbind, logLevel: logLevel, exec: exec,
            control: control, metrics: metrics, passed: passed)
    }

    /// `--check-config`: reads `file` and its IDL as a start or a reload
    /// would and prints one line; an error ends the command as at start (exit status 2).
    private func check(_ file: String) throws(ConfigurationError) {
        let configuration = try readConfiguration(file: file)
        let routing = try ConfiguredRouting(configuration)
        if let url = configuration.metricsURL {
            let registry = PrometheusCollectorRegistry()
            _ = try MetricsEndpoint(url: url, registry: registry, logger: Logger(label: "check")) {}
        }
        print("crossbitd: \(file): ok: \(configuration.listeners.count) endpoint(s), \(routing.summary)")
    }
}
