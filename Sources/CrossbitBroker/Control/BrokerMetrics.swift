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
    }

    let started = ContinuousClock.now
    private let calls = Atomic<UInt64>(0)
    private let errors = Atomic<UInt64>(0)
    private let conversions = Atomic<UInt64>(0)
    private let narrowingFailures = Atomic<UInt64>(0)
    private let bytesIn = Atomic<UInt64>(0)
    private let bytesOut = Atomic<UInt64>(0)

    private let callCounter = Counter(label: "crossbit_broker_calls_total")
    private let conversionCounter = Counter(label: "crossbit_broker_conversions_total")
    private let latency = Metrics.Timer(label: "crossbit_broker_call_duration")
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

    var snapshot: Snapshot {
        Snapshot(
            calls: calls.load(ordering: .relaxed), errors: errors.load(ordering: .relaxed),
            conversions: conversions.load(ordering: .relaxed),
            narrowingFailures: narrowingFailures.load(ordering: .relaxed),
            bytesIn: bytesIn.load(ordering: .relaxed), bytesOut: bytesOut.load(ordering: .relaxed))
    }
}
