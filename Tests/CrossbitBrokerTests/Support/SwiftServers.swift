import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Synchronization

/// What the Swift sample server saw, in its own (native, 64-bit) width.
final class Observations: Sendable {
    private let state = Mutex<(handles: [Handle], ssizes: [Int], sizes: [UInt])>(([], [], []))

    var handles: [Handle] { state.withLock { $0.handles } }
    var ssizes: [Int] { state.withLock { $0.ssizes } }
    var sizes: [UInt] { state.withLock { $0.sizes } }

    func saw(handle: Handle) { state.withLock { $0.handles.append(handle) } }
    func saw(ssize: Int) { state.withLock { $0.ssizes.append(ssize) } }
    func saw(size: UInt) { state.withLock { $0.sizes.append(size) } }
}

/// The sample interface served in Swift: every procedure echoes its argument.
/// `echoSize(0xFFFF_FFFE)` answers 2^32, a result no 32-bit client can hold.
struct SampleService: CrossbitSample.CrossbitSampleV1Service {
    static let tooLargeMarker: UInt = 0xFFFF_FFFE
    let observations: Observations

    func null(context: RPCCallContext) async throws {}
    func echoSize(_ argument: UInt, context: RPCCallContext) async throws -> UInt {
        observations.saw(size: argument)
        return argument == Self.tooLargeMarker ? 1 << 32 : argument
    }
    func echoSsize(_ argument: Int, context: RPCCallContext) async throws -> Int {
        observations.saw(ssize: argument)
        return argument
    }
    func echoIntptr(_ argument: Int, context: RPCCallContext) async throws -> Int { argument }
    func echoUintptr(_ argument: UInt, context: RPCCallContext) async throws -> UInt { argument }
    func echoHandle(_ argument: Handle, context: RPCCallContext) async throws -> Handle {
        observations.saw(handle: argument)
        return argument
    }
    func echoTime(_ argument: Int, context: RPCCallContext) async throws -> Int { argument }
    func echoWidths(_ argument: CrossbitSample.SampleWidths, context: RPCCallContext) async throws -> CrossbitSample.SampleWidths { argument }
    func echoResource(_ argument: CrossbitSample.SampleResource, context: RPCCallContext) async throws -> CrossbitSample.SampleResource { argument }
    func echoBatch(_ argument: CrossbitSample.SampleBatch, context: RPCCallContext) async throws -> CrossbitSample.SampleBatch { argument }
    func echoList(_ argument: CrossbitSample.SampleList, context: RPCCallContext) async throws -> CrossbitSample.SampleList { argument }
    func echoResult(_ argument: CrossbitSample.SampleResult, context: RPCCallContext) async throws -> CrossbitSample.SampleResult { argument }
    func echoValue(_ argument: CrossbitSample.SampleValue, context: RPCCallContext) async throws -> CrossbitSample.SampleValue { argument }
    func read(
        _ argument1: CrossbitSample.SampleHandle, _ argument2: Int64, _ argument3: UInt, context: RPCCallContext
    ) async throws -> CrossbitSample.SampleBuffer {
        let count = min(argument3, 16)
        return CrossbitSample.SampleBuffer(len: count, data: (0..<count).map { UInt8($0) })
    }
    func write(_ argument1: CrossbitSample.SampleHandle, _ argument2: CrossbitSample.SampleBuffer, context: RPCCallContext) async throws -> Int {
        argument2.data.count
    }
    func `open`(
        _ argument1: CrossbitSample.SampleName, _ argument2: CrossbitSample.SampleKind, _ argument3: CrossbitSample.SampleDeadline,
        context: RPCCallContext
    ) async throws -> CrossbitSample.SampleResult {
        argument3 == nil ? .case3 : .count(UInt(argument1.utf8.count))
    }
    func add(_ argument1: Int32, _ argument2: Int32, context: RPCCallContext) async throws -> Int32 { argument1 &+ argument2 }
    func greet(_ argument: String, context: RPCCallContext) async throws -> String { "hello, \(argument)" }
}

/// The second test program: a slow procedure, a width-dependent echo and a
/// checked pass-through procedure; counts the calls it gets.
struct BrokerTestService: BrokerTest.BrokerTestV1Service {
    let calls = Calls()

    final class Calls: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func add() { count.withLock { $0 += 1 } }
    }

    func sleep(_ argument: UInt32, context: RPCCallContext) async throws -> UInt32 {
        calls.add()
        try await Task.sleep(for: .milliseconds(Int(argument)))
        return argument
    }
    func echo(_ argument: UInt, context: RPCCallContext) async throws -> UInt {
        calls.add()
        return argument
    }
    func check(_ argument: BrokerTest.TestRequest, context: RPCCallContext) async throws -> Int32 {
        calls.add()
        return Int32(argument.values.count)
    }
}

/// Runs `body` with an in-process Swift server of `services` on loopback TCP
/// in `layout`; shuts it down afterwards.
func withSwiftServer<T>(
    _ services: [any RPCServiceDispatcher], layout: WireLayout = .lp64,
    _ body: (_ address: RPCAddress) async throws -> T
) async throws -> T {
    try await withServer([.tcp(host: "127.0.0.1", port: 0, layout: layout)], services: services) { _, bound in
        try await body(bound[0].address)
    }
}
