import CrossbitBrokerControl
import CrossbitTransport
import Metrics
import Synchronization

/// The broker's counters: kept here for the control program's `stats`, and
/// reported through swift-metrics to whatever backend the process set up.
final class BrokerMetrics: Sendable {
    /// What a call that failed was answered with, for the error counters.
    enum Failure: String, Sendable, CaseIterable {
        case programUnavailable = "program_unavailable"
        case programMismatch = "program_mismatch"
        case procedureUnavailable = "procedure_unavailable"
        case garbageArguments = "garbage_arguments"
        case narrowing = "narrowing"
        case systemError = "system_error"
    }

    /// The numbers `stats` returns.
    struct Snapshot: Sendable, Hashable {
        var calls: UInt64
        var errors: UInt64
        var conversions: UInt64
        var narrowingFailures: UInt64
        var bytesIn: UInt64
        var bytesOut: UInt64
        var controlDenials: UInt64
        var callDenials: UInt64
        var invalidMessages: UInt64
        var trailingBytesIgnored: UInt64
    }

    /// What an access rule refused.
    enum Denial: String, Sendable, CaseIterable {
        /// A BROKER_REGISTER or BROKER_UNREGISTER answered BROKER_ERR_DENIED.
        case control
        /// A call refused AUTH_TOOWEAK.
        case call
    }

    let started = ContinuousClock.now
    private let calls = Atomic<UInt64>(0)
    private let errors = Atomic<UInt64>(0)
    private let conversions = Atomic<UInt64>(0)
    private let narrowingFailures = Atomic<UInt64>(0)
    private let bytesIn = Atomic<UInt64>(0)
    private let bytesOut = Atomic<UInt64>(0)
    private let controlDenials = Atomic<UInt64>(0)
    private let callDenials = Atomic<UInt64>(0)
    private let invalidMessages = Atomic<UInt64>(0)
    private let trailingBytesIgnored = Atomic<UInt64>(0)
    /// The calls the server's endpoints refused before any router saw them.
    private let endpointDenials = Mutex<@Sendable () -> UInt64>({ 0 })
    /// Each route's swift-metrics series, made on its first call.
    private let routeSeries = Mutex<[String: RouteSeries]>([:])
    /// The limit hits by endpoint already added to the counters (``recordEndpoints(of:bound:)``).
    fileprivate let endpointLimitHits = Mutex<[Int: [RPCServer.Limit: Int]]>([:])

    private let denialCounters: [Denial: Counter] = Dictionary(
        uniqueKeysWithValues: Denial.allCases.map {
            ($0, Counter(label: "crossbit_broker_denials_total", dimensions: [("kind", $0.rawValue)]))
        })
    private let invalidCounter = Counter(label: "crossbit_broker_invalid_messages_total")
    private let trailingCounter = Counter(label: "crossbit_broker_trailing_bytes_ignored_total")

    /// One route's series, labelled `route="PROGRAM.VERSION"` (IDL names, or
    /// numbers for a program the IDL does not define). Looked up once per
    /// call, by ``recordStart(route:)``: the call carries it to its end, so
    /// its later counts take no lock and hash no name.
    final class RouteSeries: Sendable {
        let calls, conversions, narrowingFailures, bytesIn, bytesOut: Counter
        let errors: [Failure: Counter]
        let inFlight: Meter
        let latency: Metrics.Timer

        init(route: String) {
            let label = [("route", route)]
            calls = Counter(label: "crossbit_broker_calls_total", dimensions: label)
            conversions = Counter(label: "crossbit_broker_conversions_total", dimensions: label)
            narrowingFailures = Counter(label: "crossbit_broker_narrowing_failures_total", dimensions: label)
            bytesIn = Counter(label: "crossbit_broker_received_bytes_total", dimensions: label)
            bytesOut = Counter(label: "crossbit_broker_sent_bytes_total", dimensions: label)
            errors = Dictionary(
                uniqueKeysWithValues: Failure.allCases.map {
                    ($0, Counter(label: "crossbit_broker_errors_total", dimensions: label + [("kind", $0.rawValue)]))
                })
            inFlight = Meter(label: "crossbit_broker_calls_in_flight", dimensions: label)
            latency = Metrics.Timer(label: "crossbit_broker_call_duration_seconds", dimensions: label)
        }
    }

    private func series(_ route: String) -> RouteSeries {
        routeSeries.withLock { all in
            if let series = all[route] { return series }
            let series = RouteSeries(route: route)
            all[route] = series
            return series
        }
    }

    /// A call of `route` is on its way to its server; ``recordEnd(_:)`` balances it.
    /// The route's series, for the call's later counts.
    func recordStart(route: String) -> RouteSeries {
        let series = series(route)
        series.inFlight.increment()
        return series
    }

    /// A call counted by ``recordStart(route:)`` has its server's answer, or failed to get one.
    func recordEnd(_ series: RouteSeries) {
        series.inFlight.decrement()
    }

    /// A call answered with a result.
    func recordCall(
        _ series: RouteSeries, converted: Bool, bytesIn received: Int, bytesOut sent: Int, duration: Duration
    ) {
        calls.add(1, ordering: .relaxed)
        series.calls.increment()
        if converted {
            conversions.add(1, ordering: .relaxed)
            series.conversions.increment()
        }
        bytesIn.add(UInt64(received), ordering: .relaxed)
        bytesOut.add(UInt64(sent), ordering: .relaxed)
        series.bytesIn.increment(by: Int64(received))
        series.bytesOut.increment(by: Int64(sent))
        series.latency.record(duration: duration)
    }

    /// A call answered with a reply error.
    func recordFailure(_ failure: Failure, route: String) {
        let series = series(route)
        calls.add(1, ordering: .relaxed)
        errors.add(1, ordering: .relaxed)
        series.calls.increment()
        series.errors[failure]?.increment()
        if failure == .narrowing {
            narrowingFailures.add(1, ordering: .relaxed)
            series.narrowingFailures.increment()
        }
    }

    /// A caller refused by an access rule (it is also logged, by the caller of this).
    func recordDenial(_ denial: Denial) {
        switch denial {
        case .control: controlDenials.add(1, ordering: .relaxed)
        case .call: callDenials.add(1, ordering: .relaxed)
        }
        denialCounters[denial]?.increment()
    }

    /// Adds the calls refused by the endpoints' own rules (the server counts them) to ``Snapshot/callDenials``.
    func countEndpointDenials(_ count: @escaping @Sendable () -> UInt64) {
        endpointDenials.withLock { $0 = count }
    }

    /// A call or reply that did not pass validation.
    func recordInvalidMessage() {
        invalidMessages.add(1, ordering: .relaxed)
        invalidCounter.increment()
    }

    /// A call or reply with bytes after its value, forwarded without them.
    func recordTrailingBytes() {
        trailingBytesIgnored.add(1, ordering: .relaxed)
        trailingCounter.increment()
    }

    var snapshot: Snapshot {
        Snapshot(
            calls: calls.load(ordering: .relaxed), errors: errors.load(ordering: .relaxed),
            conversions: conversions.load(ordering: .relaxed),
            narrowingFailures: narrowingFailures.load(ordering: .relaxed),
            bytesIn: bytesIn.load(ordering: .relaxed), bytesOut: bytesOut.load(ordering: .relaxed),
            controlDenials: controlDenials.load(ordering: .relaxed),
            callDenials: callDenials.load(ordering: .relaxed) + endpointDenials.withLock { $0 }(),
            invalidMessages: invalidMessages.load(ordering: .relaxed),
            trailingBytesIgnored: trailingBytesIgnored.load(ordering: .relaxed))
    }
}

extension BrokerMetrics {
    /// Sets the gauges of the activated servers from their state now: the
    /// state (1 for the one it is in, 0 for the others) and how many
    /// processes were started. Read when the metrics are scraped.
    func recordServers(of routing: Routing) {
        for server in routing.activator.all {
            let route = routing.catalog.displayName(program: server.route.program, version: server.route.version)
            let current = server.serverState
            let states: [(BrokerControl.BrokerServerState, String)] = [
                (.stopped, "stopped"), (.starting, "starting"), (.running, "running"),
            ]
            for (state, name) in states {
                Gauge(label: "crossbit_broker_activated_server_state", dimensions: [("route", route), ("state", name)])
                    .record(state == current ? 1 : 0)
            }
            Gauge(label: "crossbit_broker_activated_server_starts", dimensions: [("route", route)])
                .record(server.startCount)
        }
    }
}

extension BrokerMetrics {
    /// Sets each endpoint's series from its server's counts now, labelled
    /// `endpoint="URL"` (as bound): the open connections, and the limit hits
    /// by `limit`. The server counts the hits (they happen before any call is
    /// routed); the counters advance by what was added since the last scrape.
    func recordEndpoints(of server: RPCServer, bound: [ServerEndpoint]) {
        endpointLimitHits.withLock { seen in
            for (index, endpoint) in bound.enumerated() {
                let label = ("endpoint", "\(endpoint.address)")
                Gauge(label: "crossbit_broker_endpoint_connections", dimensions: [label])
                    .record(server.openConnections(onEndpoint: index))
                let hits = server.limitsHit(onEndpoint: index)
                for limit in RPCServer.Limit.allCases {
                    let total = hits[limit] ?? 0
                    let counter = Counter(
                        label: "crossbit_broker_endpoint_limit_hits_total",
                        dimensions: [label, ("limit", Self.metricName(of: limit))])
                    counter.increment(by: Int64(total - seen[index, default: [:]][limit, default: 0]))
                    seen[index, default: [:]][limit] = total
                }
            }
        }
    }

    /// A limit as a label value, in the snake case of the other labels.
    static func metricName(of limit: RPCServer.Limit) -> String {
        switch limit {
        case .connectionsPerEndpoint: "connections_per_endpoint"
        case .connectionsPerPeer: "connections_per_peer"
        case .callsInFlightPerConnection: "calls_in_flight_per_connection"
        case .incompleteRecord: "incomplete_record"
        case .messageSize: "message_size"
        case .callsInFlightPerUDPEndpoint: "calls_in_flight_per_udp_endpoint"
        }
    }
}
