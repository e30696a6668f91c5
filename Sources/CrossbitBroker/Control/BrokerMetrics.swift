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

    private let callCounter = Counter(label: "crossbit_broker_calls_total")
    private let conversionCounter = Counter(label: "crossbit_broker_conversions_total")
    private let latency = Metrics.Timer(label: "crossbit_broker_call_duration")
    private let denialCounters: [Denial: Counter] = Dictionary(uniqueKeysWithValues: Denial.allCases.map {
        ($0, Counter(label: "crossbit_broker_denials_total", dimensions: [("kind", $0.rawValue)]))
    })
    private let invalidCounter = Counter(label: "crossbit_broker_invalid_messages_total")
    private let trailingCounter = Counter(label: "crossbit_broker_trailing_bytes_ignored_total")
    private let errorCounters: [Failure: Counter] = Dictionary(uniqueKeysWithValues: Failure.allCases.map {
        ($0, Counter(label: "crossbit_broker_errors_total", dimensions: [("reply", $0.rawValue)]))
    })

    /// A call answered with a result.
    func recordCall(converted: Bool, bytesIn received: Int, bytesOut sent: Int, duration: Duration) {
        calls.add(1, ordering: .relaxed)
        callCounter.increment()
        if converted {
            conversions.add(1, ordering: .relaxed)
            conversionCounter.increment()
        }
        bytesIn.add(UInt64(received), ordering: .relaxed)
        bytesOut.add(UInt64(sent), ordering: .relaxed)
        latency.record(duration: duration)
    }

    /// A call answered with a reply error.
    func recordFailure(_ failure: Failure) {
        calls.add(1, ordering: .relaxed)
        errors.add(1, ordering: .relaxed)
        if failure == .narrowing { narrowingFailures.add(1, ordering: .relaxed) }
        callCounter.increment()
        errorCounters[failure]?.increment()
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
