import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Synchronization
import Testing

/// `IDL/crossbit_sample.x`, loaded by the front end.
enum SampleIDL {
    static let path = Paths.sampleIDL

    static func codec() throws -> DynamicCodec {
        DynamicCodec(module: try IDLFrontEnd.load(path: path))
    }
}

/// Records the argument bytes of the generated client's calls and answers
/// them with the sample service in-process.
final class RecordingTransport: RPCClientTransport {
    let inner: LoopbackTransport<Sample.CrossbitSampleV1Dispatcher<SampleService>>
    let recorded = Mutex<[UInt8]>([])
    var layout: WireLayout { inner.layout }

    init(layout: WireLayout) {
        inner = LoopbackTransport(layout: layout, dispatcher: SampleService.dispatcher())
    }

    func call(_ procedure: ProcedureID, arguments: [UInt8], options: CallOptions) async throws(RPCError) -> [UInt8] {
        recorded.withLock { $0 = arguments }
        return try await inner.call(procedure, arguments: arguments, options: options)
    }
}

/// One call of a sample procedure: its JSON arguments, the JSON result that
/// both the Swift and the C server answer (they behave alike, see
/// `SamplePeerSources`), and the same call made through the generated client.
struct SampleCall: Sendable, CustomTestStringConvertible {
    typealias Client = Sample.CrossbitSampleV1Client<RecordingTransport>

    var layout: WireLayout
    var procedure: String
    /// nil: no JSON argument on the command line.
    var arguments: String?
    var result: String
    var generated: @Sendable (Client) async throws -> Void

    var testDescription: String { "\(layout) \(procedure) \(arguments ?? "")" }

    /// Every procedure of the sample with the layout's limits, every union
    /// arm, optional data present and absent, a hyper above 2^53.
    static func all(_ layout: WireLayout) -> [SampleCall] {
        let limits = SampleLimits(layout: layout)
        let (umax, smin, smax) = (limits.umax, limits.smin, limits.smax)
        let handle = String(UInt.max)  // -1 as a handle, sign-extended from ILP32
        let widths = """
            {"size":\(umax),"offset":\(smin),"delta":-1,"address":\(umax),"handle":\(handle),"when":\(smax),\
            "legacy_signed":\(smin),"legacy_unsigned":\(umax),"marker":305419896,"wide":18446744073709551615}
            """
        let resource = """
            {"handle":\(handle),"kind":"SAMPLE_WINDOW","length":\(umax),"created":\(smin),\
            "history":[\(smin),-1,0,\(smax)],"digest":"\(base64("0123456789abcde\0"))","shared":true}
            """
        let list = """
            {"handle":\(handle),"weight":\(smin),"next":{"handle":1,"weight":\(smax),"next":null}}
            """
        let batch = """
            {"name":"batch","sizes":[0,1,\(umax)],"resources":[\(resource)],"fixed_deltas":[\(smin),0,\(smax)],\
            "extra":\(widths),"list":\(list)}
            """
        let opened = """
            {"status":0,"resource":{"handle":\(handle),"kind":"SAMPLE_FILE","length":8,"created":\(smax),\
            "history":[\(smax - 3),\(smax - 2),\(smax - 1),\(smax)],\
            "digest":"\(base64("file.txt" + String(repeating: "\0", count: 8)))",\
            "shared":true}}
            """
        let node = Sample.SampleNode(
            handle: limits.minusOne, weight: smin,
            next: Sample.SampleNode(handle: Handle(rawValue: 1), weight: smax, next: nil))
        let sampleBatch = Sample.SampleBatch(
            name: "batch", sizes: [0, 1, umax], resources: [limits.resource], fixedDeltas: [smin, 0, smax],
            extra: limits.widths, list: node)
        func call(
            _ procedure: String, _ arguments: String?, _ result: String,
            _ generated: @escaping @Sendable (Client) async throws -> Void
        ) -> SampleCall {
            SampleCall(layout: layout, procedure: procedure, arguments: arguments, result: result, generated: generated)
        }
        return [
            call("SAMPLE_NULL", nil, "null") { try await $0.null() },
            call("SAMPLE_ECHO_SIZE", "\(umax)", "\(umax)") { _ = try await $0.echoSize(umax) },
            call("SAMPLE_ECHO_SSIZE", "\(smin)", "\(smin)") { _ = try await $0.echoSsize(smin) },
            call("SAMPLE_ECHO_INTPTR", "-1", "-1") { _ = try await $0.echoIntptr(-1) },
            call("SAMPLE_ECHO_UINTPTR", "\(umax)", "\(umax)") { _ = try await $0.echoUintptr(umax) },
            call("SAMPLE_ECHO_HANDLE", handle, handle) { _ = try await $0.echoHandle(limits.minusOne) },
            call("SAMPLE_ECHO_HANDLE", "-1", handle) { _ = try await $0.echoHandle(limits.minusOne) },
            call("SAMPLE_ECHO_TIME", "\(smax)", "\(smax)") { _ = try await $0.echoTime(smax) },
            call("SAMPLE_ECHO_WIDTHS", widths, widths) { _ = try await $0.echoWidths(limits.widths) },
            call("SAMPLE_ECHO_RESOURCE", resource, resource) { _ = try await $0.echoResource(limits.resource) },
            call("SAMPLE_ECHO_BATCH", batch, batch) { _ = try await $0.echoBatch(sampleBatch) },
            call("SAMPLE_ECHO_LIST", list, list) { _ = try await $0.echoList(node) },
            call("SAMPLE_ECHO_LIST", "null", "null") { _ = try await $0.echoList(nil) },
            call(
                "SAMPLE_ECHO_RESULT", #"{"status":0,"resource":\#(resource)}"#, #"{"status":0,"resource":\#(resource)}"#
            ) {
                _ = try await $0.echoResult(.resource(limits.resource))
            },
            call("SAMPLE_ECHO_RESULT", #"{"status":1,"count":\#(umax)}"#, #"{"status":1,"count":\#(umax)}"#) {
                _ = try await $0.echoResult(.count(umax))
            },
            call(
                "SAMPLE_ECHO_RESULT", #"{"status":2,"error":"oops \"\u00e9\""}"#, #"{"status":2,"error":"oops \"é\""}"#
            ) {
                _ = try await $0.echoResult(.error("oops \"é\""))
            },
            call("SAMPLE_ECHO_RESULT", #"{"status":3}"#, #"{"status":3}"#) { _ = try await $0.echoResult(.case3) },
            call("SAMPLE_ECHO_RESULT", #"{"status":9,"failed_at":\#(smin)}"#, #"{"status":9,"failed_at":\#(smin)}"#) {
                _ = try await $0.echoResult(.default(discriminant: 9, smin))
            },
            call(
                "SAMPLE_ECHO_VALUE", #"{"kind":"SAMPLE_FILE","file_size":\#(umax)}"#,
                #"{"kind":"SAMPLE_FILE","file_size":\#(umax)}"#
            ) {
                _ = try await $0.echoValue(.file(umax))
            },
            call("SAMPLE_ECHO_VALUE", #"{"kind":1,"peer":7}"#, #"{"kind":"SAMPLE_SOCKET","peer":7}"#) {
                _ = try await $0.echoValue(.socket(7))
            },
            call(
                "SAMPLE_ECHO_VALUE", #"{"kind":"SAMPLE_WINDOW","window":\#(handle)}"#,
                #"{"kind":"SAMPLE_WINDOW","window":\#(handle)}"#
            ) {
                _ = try await $0.echoValue(.window(limits.minusOne))
            },
            call(
                "SAMPLE_READ", "[\(handle), 250, 10]",
                #"{"len":10,"data":"\#(base64((250..<260).map { UInt8($0 & 0xFF) }))"}"#
            ) {
                _ = try await $0.read(limits.minusOne, 250, 10)
            },
            // 2^53 + 1: a Double would round it to 2^53 and the bytes would start at 0.
            call("SAMPLE_READ", "[1, 9007199254740993, 3]", #"{"len":3,"data":"\#(base64([1, 2, 3]))"}"#) {
                _ = try await $0.read(Handle(rawValue: 1), 9_007_199_254_740_993, 3)
            },
            call("SAMPLE_WRITE", #"[\#(handle), {"len":3,"data":"YWJj"}]"#, "3") {
                _ = try await $0.write(limits.minusOne, Sample.SampleBuffer(len: 3, data: Array("abc".utf8)))
            },
            call("SAMPLE_OPEN", #"["file.txt", "SAMPLE_FILE", \#(smax)]"#, opened) {
                _ = try await $0.open("file.txt", .file, smax)
            },
            call("SAMPLE_OPEN", #"["x", 0, null]"#, #"{"status":3}"#) { _ = try await $0.open("x", .file, nil) },
            call("SAMPLE_ADD", "[-5, 47]", "42") { _ = try await $0.add(-5, 47) },
            call("SAMPLE_GREET", #""Swift""#, #""Hello, Swift""#) { _ = try await $0.greet("Swift") },
            call("SAMPLE_GREET", #"["C"]"#, #""Hello, C""#) { _ = try await $0.greet("C") },
        ]
    }

    static var everyLayout: [SampleCall] { WireLayout.allCases.flatMap(all) }
}

func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
