public import CrossbitCore
import Synchronization
import Testing

public typealias Sample = CrossbitSample

/// What the Swift sample server decoded, in its own (native, 64-bit) width:
/// every handle, `ssize_t` and `size_t` in the order they came, and the last
/// `SampleWidths` and handle per layout, so tests can check widening.
public final class Observations: Sendable {
    private struct State {
        var handles: [Handle] = [], ssizes: [Int] = [], sizes: [UInt] = []
        var widths: [WireLayout: Sample.SampleWidths] = [:], lastHandle: [WireLayout: Handle] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public var handles: [Handle] { state.withLock { $0.handles } }
    public var ssizes: [Int] { state.withLock { $0.ssizes } }
    public var sizes: [UInt] { state.withLock { $0.sizes } }
    /// The last `echoWidths` argument decoded from each layout.
    public var widths: [WireLayout: Sample.SampleWidths] { state.withLock { $0.widths } }
    /// The last `echoHandle` argument decoded from each layout.
    public var lastHandle: [WireLayout: Handle] { state.withLock { $0.lastHandle } }

    func saw(handle: Handle, in layout: WireLayout) {
        state.withLock {
            $0.handles.append(handle); $0.lastHandle[layout] = handle
        }
    }
    func saw(ssize: Int) { state.withLock { $0.ssizes.append(ssize) } }
    func saw(size: UInt) { state.withLock { $0.sizes.append(size) } }
    func saw(widths: Sample.SampleWidths, in layout: WireLayout) { state.withLock { $0.widths[layout] = widths } }
}

/// The one Swift server of the sample interface, with the behaviour of the
/// C server in ``SamplePeerSources``: echoes return their argument, except
/// `echoSize(0xFFFF_FFFE)`, which answers 2^32, a result no 32-bit client can
/// hold; READ, WRITE, OPEN, ADD and GREET as ``SamplePeerSources`` describes.
/// It records what it decoded in ``observations``.
public struct SampleService: Sample.CrossbitSampleV1Service {
    /// The `echoSize` argument answered with 2^32.
    public static let tooLargeMarker: UInt = 0xFFFF_FFFE
    public let observations: Observations

    public init(observations: Observations = Observations()) {
        self.observations = observations
    }

    public func null(context: RPCCallContext) async throws {}
    public func echoSize(_ argument: UInt, context: RPCCallContext) async throws -> UInt {
        observations.saw(size: argument)
        return argument == Self.tooLargeMarker ? 1 << 32 : argument
    }
    public func echoSsize(_ argument: Int, context: RPCCallContext) async throws -> Int {
        observations.saw(ssize: argument)
        return argument
    }
    public func echoIntptr(_ argument: Int, context: RPCCallContext) async throws -> Int { argument }
    public func echoUintptr(_ argument: UInt, context: RPCCallContext) async throws -> UInt { argument }
    public func echoHandle(_ argument: Handle, context: RPCCallContext) async throws -> Handle {
        observations.saw(handle: argument, in: context.layout)
        return argument
    }
    public func echoTime(_ argument: Int, context: RPCCallContext) async throws -> Int { argument }
    public func echoWidths(
        _ argument: Sample.SampleWidths, context: RPCCallContext
    ) async throws
        -> Sample.SampleWidths
    {
        observations.saw(widths: argument, in: context.layout)
        return argument
    }
    public func echoResource(
        _ value: Sample.SampleResource, context: RPCCallContext
    ) async throws
        -> Sample.SampleResource
    { value }
    public func echoBatch(
        _ value: Sample.SampleBatch, context: RPCCallContext
    ) async throws
        -> Sample.SampleBatch
    { value }
    public func echoList(
        _ value: Sample.SampleList, context: RPCCallContext
    ) async throws
        -> Sample.SampleList
    { value }
    public func echoResult(
        _ value: Sample.SampleResult, context: RPCCallContext
    ) async throws
        -> Sample.SampleResult
    { value }
    public func echoValue(
        _ value: Sample.SampleValue, context: RPCCallContext
    ) async throws
        -> Sample.SampleValue
    { value }

    public func read(
        _ handle: Sample.SampleHandle, _ offset: Int64, _ count: UInt, context: RPCCallContext
    )
        async throws -> Sample.SampleBuffer
    {
        let data = (0..<Int64(min(count, 4096))).map { UInt8(truncatingIfNeeded: offset + $0) }
        return Sample.SampleBuffer(len: count, data: data)
    }

    public func write(
        _ handle: Sample.SampleHandle, _ buffer: Sample.SampleBuffer, context: RPCCallContext
    )
        async throws -> Int
    {
        buffer.data.count
    }

    public func open(
        _ name: Sample.SampleName, _ kind: Sample.SampleKind, _ deadline: Sample.SampleDeadline,
        context: RPCCallContext
    ) async throws -> Sample.SampleResult {
        guard let deadline else { return .case3 }
        let digest = Array(name.utf8.prefix(16)) + Array(repeating: 0, count: max(0, 16 - name.utf8.count))
        return .resource(
            Sample.SampleResource(
                handle: Handle(rawValue: .max), kind: kind, length: UInt(name.utf8.count), created: deadline,
                history: (0..<4).map { deadline - 3 + $0 }, digest: digest, shared: true))
    }

    public func add(_ a: Int32, _ b: Int32, context: RPCCallContext) async throws -> Int32 { a &+ b }
    public func greet(_ name: String, context: RPCCallContext) async throws -> String { "Hello, \(name)" }
}

/// The limits of a layout as the sample's values.
public struct SampleLimits: Sendable {
    public let layout: WireLayout

    public init(layout: WireLayout) {
        self.layout = layout
    }
    public var umax: UInt { layout == .lp64 ? .max : UInt(UInt32.max) }
    public var smin: Int { layout == .lp64 ? .min : Int(Int32.min) }
    public var smax: Int { layout == .lp64 ? .max : Int(Int32.max) }
    /// -1 as a handle: all ones at the native width, the way a 32-bit handle widens.
    public var minusOne: Handle { Handle(rawValue: .max) }

    public var widths: Sample.SampleWidths {
        Sample.SampleWidths(
            size: umax, offset: smin, delta: -1, address: umax, handle: minusOne, when: smax,
            legacySigned: smin, legacyUnsigned: umax, marker: 0x1234_5678, wide: .max)
    }

    public var resource: Sample.SampleResource {
        Sample.SampleResource(
            handle: minusOne, kind: .window, length: umax, created: smin, history: [smin, -1, 0, smax],
            digest: Array("0123456789abcde\0".utf8), shared: true)
    }
}

extension Sample.CrossbitSampleV1Client {
    /// Calls every procedure with the layout's limits and checks every result.
    public func exerciseEveryProcedure() async throws {
        let limits = SampleLimits(layout: transport.layout)
        try await null()
        #expect(try await echoSize(limits.umax) == limits.umax)
        #expect(try await echoSsize(limits.smin) == limits.smin)
        #expect(try await echoIntptr(-1) == -1)
        #expect(try await echoUintptr(limits.umax) == limits.umax)
        #expect(try await echoHandle(limits.minusOne) == limits.minusOne)
        #expect(try await echoTime(limits.smax) == limits.smax)
        #expect(try await echoWidths(limits.widths) == limits.widths)
        #expect(try await echoResource(limits.resource) == limits.resource)
        let list = Sample.SampleNode(
            handle: limits.minusOne, weight: limits.smin,
            next: Sample.SampleNode(handle: Handle(rawValue: 1), weight: limits.smax, next: nil))
        let batch = Sample.SampleBatch(
            name: "batch", sizes: [0, 1, limits.umax], resources: [limits.resource],
            fixedDeltas: [limits.smin, 0, limits.smax], extra: limits.widths, list: list)
        #expect(try await echoBatch(batch) == batch)
        #expect(try await echoList(list) == list)
        #expect(try await echoList(nil) == nil)
        for result in [
            Sample.SampleResult.count(limits.umax), .error("oops"), .default(discriminant: 9, limits.smin),
            .resource(limits.resource), .case3,
        ] {
            #expect(try await echoResult(result) == result)
        }
        #expect(try await echoValue(.window(limits.minusOne)) == .window(limits.minusOne))
        #expect(try await echoValue(.file(limits.umax)) == .file(limits.umax))
        let bytes = (250..<260).map { UInt8($0 & 0xFF) }
        #expect(try await read(limits.minusOne, 250, 10) == Sample.SampleBuffer(len: 10, data: bytes))
        #expect(try await write(limits.minusOne, Sample.SampleBuffer(len: 3, data: Array("abc".utf8))) == 3)
        let opened = try await self.open("file.txt", .file, limits.smax)
        #expect(
            opened
                == .resource(
                    Sample.SampleResource(
                        handle: limits.minusOne, kind: .file, length: 8, created: limits.smax,
                        history: (0..<4).map { limits.smax - 3 + $0 },
                        digest: Array("file.txt".utf8) + Array(repeating: 0, count: 8), shared: true)))
        #expect(try await self.open("x", .file, nil) == .case3)
        #expect(try await add(-5, 47) == 42)
        #expect(try await greet("Swift") == "Hello, Swift")
    }
}

extension SampleService {
    /// The service ready to serve (`withServer`'s `services`), recording what it decodes in `observations`.
    public static func dispatcher(
        _ observations: Observations = Observations()
    )
        -> Sample.CrossbitSampleV1Dispatcher<SampleService>
    {
        Sample.CrossbitSampleV1Dispatcher(service: SampleService(observations: observations))
    }
}
