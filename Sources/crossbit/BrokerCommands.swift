import ArgumentParser
import CrossbitBrokerControl
import CrossbitCore
import CrossbitDynamic
import CrossbitTransport
import Foundation

/// `crossbit ping`: the broker's ping, or procedure 0 of any program version.
struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ping a broker, or call procedure 0 (NULLPROC) of a program version of any ONC RPC server.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(
        help: ArgumentHelp(
            "PROGRAM.VERSION as numbers (decimal or 0x hex); the broker's control program when left out.",
            valueName: "program.version"))
    var program: String?

    @Option(help: ArgumentHelp("The wire layout to call in: ilp32 or lp64.", valueName: "layout"))
    var layout: WireLayout = .native

    func run() async throws {
        let client = try connection.client(layout: layout)
        defer { client.close() }
        let start = ContinuousClock.now
        let target: String
        if let program {
            let key = try programVersion(program, separator: ".")
            target = "program \(key.written[0]) version \(key.written[1])"  // as written: 0x20001001 stays hex
            _ = try await client.call(
                ProcedureID(program: key.program, version: key.version, procedure: 0), arguments: [],
                options: .defaults)
        } else {
            target = "broker"
            try await BrokerControl.CrossbitBrokerV1Client(transport: client).ping()
        }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        print("\(target) at \(connection.address) answered in \(String(format: "%.2f", milliseconds)) ms")
    }
}

/// `crossbit list`: a broker's routes, with its counters.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "List a broker's routes (program, version, server layout and address, origin, server state) "
            + "and its counters."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print JSON (the broker's BROKER_LIST and BROKER_STATS results) instead of a table.")
    var json = false

    func run() async throws {
        let client = try connection.client(layout: .native)
        defer { client.close() }
        let control = BrokerControl.CrossbitBrokerV1Client(transport: client)
        let routes = try await control.list().routes
        let stats = try await control.stats()
        print(json ? Self.json(routes, stats).text() : Self.table(routes, stats))
    }

    static func table(_ routes: [BrokerControl.BrokerRouteEntry], _ stats: BrokerControl.BrokerStats) -> String {
        var rows = [["PROGRAM", "VERSION", "LAYOUT", "ADDRESS", "ORIGIN", "SERVER"]]
        for entry in routes.sorted(by: { ($0.route.prog, $0.route.vers) < ($1.route.prog, $1.route.vers) }) {
            let route = entry.route
            rows.append([
                "\(route.prog) (0x\(String(route.prog, radix: 16)))", "\(route.vers)", route.layout.wireLayout.rawValue,
                route.address, "\(entry.origin)", "\(entry.state)",
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        lines.append(
            """
            \(routes.count) routes, \(stats.serversRunning) servers running; \
            \(stats.calls) calls, \(stats.errors) errors, \(stats.conversions) conversions, \
            \(stats.narrowingFailures) narrowing failures; up \(stats.uptimeSeconds) s
            denied: \(stats.controlDenials) route changes, \(stats.callDenials) calls; \
            \(stats.invalidMessages) invalid messages; \(stats.trailingBytesIgnored) with trailing bytes ignored
            """)
        return lines.joined(separator: "\n")
    }

    static func json(_ routes: [BrokerControl.BrokerRouteEntry], _ stats: BrokerControl.BrokerStats) -> JSONValue {
        let routes = routes.map { entry in
            JSONValue.object([
                .init("prog", .integer(entry.route.prog)), .init("vers", .integer(entry.route.vers)),
                .init("layout", .string(entry.route.layout.wireLayout.rawValue)),
                .init("address", .string(entry.route.address)),
                .init("origin", .string("\(entry.origin)")), .init("state", .string("\(entry.state)")),
            ])
        }
        let counters: [(String, UInt64)] = [
            ("calls", stats.calls), ("errors", stats.errors), ("conversions", stats.conversions),
            ("narrowing_failures", stats.narrowingFailures), ("bytes_in", stats.bytesIn), ("bytes_out", stats.bytesOut),
            ("routes", UInt64(stats.routes)), ("servers_running", UInt64(stats.serversRunning)),
            ("uptime_seconds", stats.uptimeSeconds), ("control_denials", stats.controlDenials),
            ("call_denials", stats.callDenials), ("invalid_messages", stats.invalidMessages),
            ("trailing_bytes_ignored", stats.trailingBytesIgnored),
        ]
        return .object([
            .init("routes", .array(routes)),
            .init("stats", .object(counters.map { JSONValue.Member($0.0, .integer($0.1)) })),
        ])
    }
}
