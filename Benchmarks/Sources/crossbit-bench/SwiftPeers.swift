import CrossbitCore
import CrossbitSharedMemory
import CrossbitTransport
import Synchronization
import Foundation

/// The Swift side of the codec rows: the same values as Benchmarks/C/bench_codec.c,
/// encoded into a reused writer and decoded from their bytes, 16 times between clock reads.
enum SwiftCodec {
    static let items = 1_000
    static let payloadSize = 1 << 20

    static let flat = CrossbitBench.BenchFlat(
        a: -123_456, b: 4_000_000_000, c: -9_000_000_000, d: 18_000_000_000, e: true, f: 3.25, g: 1.5, h: 42)

    static let batch = CrossbitBench.BenchBatch(items: (0..<items).map(item))

    /// Item `i` of bench_codec.c's batch (`"item-%05d"`, 64 bytes counting up from `i`).
    private static func item(_ i: Int) -> CrossbitBench.BenchItem {
        let digits = String(i)
        let name = "item-" + String(repeating: "0", count: 5 - digits.count) + digits
        let blob: [UInt8] = (0..<64).map { (j: Int) -> UInt8 in UInt8(truncatingIfNeeded: i + j) }
        return CrossbitBench.BenchItem(
            id: Int32(i), flags: UInt32(i) &* 7, stamp: 1_700_000_000_000 + Int64(i), name: name, blob: blob,
            length: UInt(i) * 1024, owner: Handle(rawValue: UInt(i + 1)))
    }

    static let payload: CrossbitBench.BenchPayload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }

    /// Encodes and decodes one case for about `seconds`: (bytes per value, iterations, nanoseconds).
    static func measure(
        _ name: String, layout: WireLayout, seconds: Double
    ) throws -> (bytes: Int, iterations: Int, nanoseconds: Int) {
        switch name {
        case "flat":
            return try loop(
                layout: layout, seconds: seconds, encode: flat.encode(xdr:), decode: CrossbitBench.BenchFlat.init(xdr:))
        case "batch":
            return try loop(
                layout: layout, seconds: seconds, encode: batch.encode(xdr:),
                decode: CrossbitBench.BenchBatch.init(xdr:))
        default:
            return try loop(
                layout: layout, seconds: seconds,
                encode: { (writer: inout XDRWriter) throws(XDRError) in
                    try writer.writeOpaque(payload, maximum: UInt32(CrossbitBench.benchPayloadMax))
                },
                decode: { (reader: inout XDRReader) throws(XDRError) in
                    try reader.readOpaque(maximum: UInt32(CrossbitBench.benchPayloadMax))
                })
        }
    }

    @inline(never)
    private static func loop<Value>(
        layout: WireLayout, seconds: Double,
        encode: (inout XDRWriter) throws(XDRError) -> Void,
        decode: (inout XDRReader) throws(XDRError) -> Value
    ) throws -> (bytes: Int, iterations: Int, nanoseconds: Int) {
        var writer = XDRWriter(layout: layout, capacity: 4 * payloadSize)
        try encode(&writer)
        // Decoding reads these bytes (the same as each encoding writes): an
        // RPC call decodes what it received, not the writer's buffer, so a
        // copy between the two would be a cost of this loop, not of the codec.
        let encoded = writer.bytes
        var iterations = 0
        let start = monotonicNanoseconds()
        let deadline = start + Int(seconds * 1e9)
        var now = start
        repeat {
            for _ in 0..<16 {
                writer.removeAll()
                try encode(&writer)
                var reader = XDRReader(bytes: encoded, layout: layout)
                blackHole(try decode(&reader))
                try reader.finish()
            }
            iterations += 16
            now = monotonicNanoseconds()
        } while now < deadline
        guard writer.bytes == encoded else { throw BenchFailure("the encoding changed between runs") }
        return (encoded.count, iterations, now - start)
    }
}

@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// CLOCK_MONOTONIC in nanoseconds: the clock the C programs read, shared by all processes.
func monotonicNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

/// The Swift server of the benchmark interface.
struct BenchService: CrossbitBench.CrossbitBenchV1Service {
    func pingWide(_ argument: UInt, context: RPCCallContext) async throws -> UInt { argument &+ 1 }
    func pingPlain(_ argument: UInt32, context: RPCCallContext) async throws -> UInt32 { argument &+ 1 }
    func echoPayload(
        _ argument: CrossbitBench.BenchPayload, context: RPCCallContext
    ) async throws -> CrossbitBench.BenchPayload { argument }
    func sinkPayload(_ argument: CrossbitBench.BenchPayload, context: RPCCallContext) async throws -> UInt32 {
        UInt32(argument.count)
    }

    let regions = RegionCache()

    /// Maps the region (or keeps the mapping of the last call while the name still
    /// names it), checks its header against bench_block, and reads every block in
    /// place in the writer's layout (its header members and its samples).
    func readRegion(_ name: String, context: RPCCallContext) async throws -> UInt64 {
        let region = try regions.region(name)
        var sum: UInt64 = 0
        for block in try region.view(CrossbitBench.BenchBlockView.self) {
            let samples = try block.samples()
            guard try block.length() == UInt(samples.count), try block.stamp() >= 0x1_0000_0000 else {
                throw BenchFailure("block \(try block.owner()) of \(name) is not what bench_client wrote")
            }
            sum &+= UInt64(try block.seq()) &+ UInt64(samples[0])
        }
        return sum
    }
}

/// The region of the last READ_REGION call, kept mapped: a writer hands over
/// many times through one region, and mapping 1 MiB costs some 130 µs of
/// page-table work on this machine each time (as much as the call itself).
final class RegionCache: Sendable {
    private let last = Mutex<SharedRegion?>(nil)

    func region(_ name: String) throws -> SharedRegion {
        if let known = last.withLock({ $0 }), known.name == name, try known.isCurrent() { return known }
        let region = try SharedRegion.open(name: name, CrossbitBench.BenchBlockView.self)
        last.withLock { $0 = region }
        return region
    }
}

/// `crossbit-bench serve tcp PORT|unix PATH [LAYOUT]`: serves until SIGTERM; prints
/// `READY ADDRESS` once it listens (port 0 picks a free port).
func serve(_ arguments: [String]) async throws {
    guard arguments.count >= 2 else {
        throw BenchFailure("usage: crossbit-bench serve tcp PORT | unix PATH [ilp32|lp64]")
    }
    let layout = try parseLayout(arguments.count > 2 ? arguments[2] : "lp64")
    let endpoint: ServerEndpoint =
        arguments[0] == "unix"
        ? .unix(path: arguments[1], layout: layout)
        : try ServerEndpoint(address: RPCAddress(parsing: "tcp://127.0.0.1:\(arguments[1])"), layout: layout)
    // As docs/server-concurrency.md ("Large messages") advises a service that takes megabyte messages.
    MessageMemory.keepFreedBuffers()
    let server = RPCServer(
        services: [CrossbitBench.CrossbitBenchV1Dispatcher(service: BenchService())], endpoints: [endpoint])
    try await serveUntilTerminated(server)
}

func parseLayout(_ text: String) throws -> WireLayout {
    switch text {
    case "ilp32": return .ilp32
    case "lp64": return .lp64
    default: throw BenchFailure("unknown layout '\(text)' (ilp32 or lp64)")
    }
}

/// `crossbit-bench client tcp HOST PORT | unix PATH`, then `latency N [plain]`,
/// `rate SECONDS [plain] [START_NS]` or `payload N BYTES`: the Swift twin of
/// Benchmarks/C/bench_client.c, with the same output. Calls run in a task that
/// prefers the client's event loop as its executor (no thread switch per reply).
func runClient(_ arguments: [String]) async throws {
    let usage = BenchFailure(
        "usage: crossbit-bench client tcp HOST PORT | unix PATH, then latency N [plain] | rate SECONDS [plain] "
            + "[START_NS] | payload N BYTES"
    )
    let address: String
    let rest: ArraySlice<String>
    switch arguments.first {
    case "tcp" where arguments.count >= 5: address = "tcp://\(arguments[1]):\(arguments[2])"; rest = arguments[3...]
    case "unix" where arguments.count >= 4: address = "unix://\(arguments[1])"; rest = arguments[2...]
    default: throw usage
    }
    let mode = rest[rest.startIndex]
    let count = rest[rest.startIndex + 1]
    let extra = Array(rest.dropFirst(2))
    let connection = try RPCClient(address: address, layout: .lp64)
    defer { connection.close() }
    let client = BenchClient(
        client: CrossbitBench.CrossbitBenchV1Client(transport: connection), plain: extra.contains("plain"))
    let line: String = try await withTaskExecutorPreference(connection.executor) {
        for i in 0..<200 { try await client.smallCall(UInt32(i)) }
        switch mode {
        case "latency":
            guard let calls = Int(count), calls > 0 else { throw usage }
            return try await client.latency(calls: calls)
        case "rate":
            guard let seconds = Double(count) else { throw usage }
            return try await client.rate(seconds: seconds, startAt: extra.compactMap({ Int($0) }).first)
        case "payload":
            guard let calls = Int(count), let bytes = extra.first.flatMap({ Int($0) }) else { throw usage }
            return try await client.payload(calls: calls, bytes: bytes)
        default:
            throw usage
        }
    }
    print(line)
}

/// The Swift twin of Benchmarks/C/bench_client.c's modes. Its methods run on the caller's executor (the
/// client's event loop, as `runClient` arranges), so a reply resumes its caller with no thread switch.
struct BenchClient {
    let client: CrossbitBench.CrossbitBenchV1Client<RPCClient>
    /// PING_PLAIN (no width-dependent field) instead of PING_WIDE.
    let plain: Bool

    /// One small call, its answer checked.
    nonisolated(nonsending) func smallCall(_ value: UInt32) async throws {
        if plain {
            guard try await client.pingPlain(value) == value &+ 1 else { throw BenchFailure("wrong PING_PLAIN result") }
        } else {
            guard try await client.pingWide(UInt(value)) == UInt(value) + 1 else {
                throw BenchFailure("wrong PING_WIDE result")
            }
        }
    }

    /// "MEDIAN P99" of `calls` round trips, in ns.
    nonisolated(nonsending) func latency(calls: Int) async throws -> String {
        var times = [Int](repeating: 0, count: calls)
        for i in 0..<calls {
            let start = monotonicNanoseconds()
            try await smallCall(UInt32(truncatingIfNeeded: i))
            times[i] = monotonicNanoseconds() - start
        }
        times.sort()
        return "\(times[calls / 2]) \(times[calls * 99 / 100])"
    }

    /// "CALLS NS": calls made back to back for `seconds`, from `startAt` (monotonic ns) when given, so that
    /// concurrent clients measure the same interval.
    nonisolated(nonsending) func rate(seconds: Double, startAt: Int?) async throws -> String {
        var start = monotonicNanoseconds()
        if let startAt {
            while monotonicNanoseconds() < startAt { try await Task.sleep(for: .microseconds(200)) }
            start = startAt
        }
        let deadline = start + Int(seconds * 1e9)
        var calls = 0
        var now = start
        repeat {
            try await smallCall(UInt32(truncatingIfNeeded: calls))
            calls += 1
            now = monotonicNanoseconds()
        } while now < deadline
        return "\(calls) \(now - start)"
    }

    /// "BYTES NS": `calls` echoes of `bytes` bytes (counted both ways).
    nonisolated(nonsending) func payload(calls: Int, bytes: Int) async throws -> String {
        let argument = [UInt8](repeating: 7, count: bytes)
        let start = monotonicNanoseconds()
        for _ in 0..<calls {
            guard try await client.echoPayload(argument).count == bytes else {
                throw BenchFailure("wrong ECHO_PAYLOAD result")
            }
        }
        return "\(2 * bytes * calls) \(monotonicNanoseconds() - start)"
    }
}
