import ArgumentParser
import CrossbitBroker
import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle

/// The Crossbit broker daemon: routes ONC RPC calls between 32-bit and
/// 64-bit clients and servers, converting width-dependent values.
@main
struct Crossbitd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossbitd",
        abstract: "Routes ONC RPC calls between 32-bit and 64-bit processes, converting width-dependent values."
    )

    @Option(name: .long, help: ArgumentHelp("A TOML configuration file; flags add to it.", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("A .x file or a folder of them (repeatable).", valueName: "PATH"))
    var idl: [String] = []

    @Option(name: .long, help: ArgumentHelp("An endpoint: ilp32|lp64 = tcp://HOST:PORT or unix:///PATH (repeatable).", valueName: "LAYOUT=URL"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp("A route: program and version (numbers or IDL names) to a server's layout and address (repeatable).", valueName: "PROG:VERS=LAYOUT@URL"))
    var route: [String] = []

    @Option(name: .long, help: ArgumentHelp("Start the server of the --route PROG:VERS on its first call (repeatable); that route may leave out its layout (PROG:VERS=@URL): the executable's ELF class gives it.", valueName: "PROG:VERS=EXECUTABLE [ARGUMENT...]"))
    var exec: [String] = []

    @Option(name: .long, help: ArgumentHelp("Register the routed programs with rpcbind at the TCP endpoint of this layout.", valueName: "LAYOUT"))
    var rpcbind: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp(
        "Let this local user register and unregister routes, besides root and the broker's own user (repeatable).",
        valueName: "UID|NAME"))
    var controlAllowUid: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Let local users of this primary group register and unregister routes (repeatable).", valueName: "GID|NAME"))
    var controlAllowGid: [String] = []

    @Flag(name: .long, help: "Let registered routes lead to other hosts (by default: unix sockets and loopback only).")
    var allowRemoteTargets = false

    func run() async throws {
        // A peer that goes away must cost a failed write, not the daemon.
        signal(SIGPIPE, SIG_IGN)
        let configuration: BrokerConfiguration
        do {
            let control = try ControlPolicy(
                allowUsers: controlAllowUid, allowGroups: controlAllowGid, allowRemoteTargets: allowRemoteTargets)
            configuration = try BrokerConfiguration(
                file: config, idl: idl, listen: listen, route: route, rpcbind: rpcbind, logLevel: logLevel, exec: exec,
                control: control)
        } catch {
            Self.fail(error)
        }
        let level = configuration.logLevel ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "crossbitd")
        let broker: Broker
        do {
            broker = try Broker(configuration: configuration, logger: logger)
        } catch {
            Self.fail(error)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: broker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// A configuration the broker cannot start with: the message, then exit 2.
    private static func fail(_ error: ConfigurationError) -> Never {
        let line = Array("crossbitd: error: \(error.message)\n".utf8)
        // Nothing is left to do if standard error is gone: the exit status still says it.
        _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        Glibc.exit(2)
    }
}
