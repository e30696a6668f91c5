import CrossbitCore

/// Typical values of every type of crossbit_sample.x (in SampleTypes.all's order) and every procedure's
/// arguments and result, that fit both layouts.
enum SampleValues {
    typealias S = CrossbitSample

    static let widths = S.SampleWidths(
        size: 4096, offset: -3, delta: -16, address: 0x8000_1000, handle: Handle(widening: 0xFFFF_FFF0),
        when: 1_700_000_000, legacySigned: -2, legacyUnsigned: 9, marker: 42, wide: 1 << 40)
    static let resource = S.SampleResource(
        handle: Handle(widening: 7), kind: .socket, length: 100, created: -1, history: [1, 2, 3, 4],
        digest: Array(0..<16), shared: true)
    static let buffer = S.SampleBuffer(len: 5, data: [1, 2, 3, 4, 5])
    static let list = S.SampleNode(
        handle: Handle(widening: 1), weight: -1, next: S.SampleNode(handle: Handle(widening: 2), weight: 2, next: nil))
    static let batch = S.SampleBatch(
        name: "batch é", sizes: [1, 0, 4_294_967_295], resources: [resource], fixedDeltas: [-1, 0, 1], extra: widths,
        list: list)

    /// One or more values of each type, in SampleTypes.all's order.
    static var ofEachType: [[any XDRCodable]] {
        [
            [S.SampleKind.file, S.SampleKind.window],
            [widths],
            [resource],
            [buffer, S.SampleBuffer(len: 0, data: [])],
            [list],
            [batch, S.SampleBatch(name: "", sizes: [], resources: [], fixedDeltas: [0, 0, 0], extra: nil, list: nil)],
            [
                S.SampleResult.resource(resource), S.SampleResult.count(3), S.SampleResult.error("no such file"),
                S.SampleResult.case3, S.SampleResult.default(discriminant: 9, -5),
            ],
            [
                S.SampleValue.file(12), S.SampleValue.socket(0xFFFF_FFFF),
                S.SampleValue.window(Handle(widening: 0x8000_0000)),
            ],
        ]
    }

    /// Every procedure's arguments and result values (procedures 0 to 17), each part encoded in turn.
    static var procedures: [(arguments: [any XDREncodable], result: [any XDREncodable])] {
        [
            ([], []), ([Scalar.size(7)], [Scalar.size(7)]), ([Scalar.signed(-7)], [Scalar.signed(-7)]),
            ([Scalar.signed(-8)], [Scalar.signed(-8)]), ([Scalar.size(8)], [Scalar.size(8)]),
            ([Scalar.handle(Handle(widening: 0xFFFF_FFFF))], [Scalar.handle(Handle(widening: 0xFFFF_FFFF))]),
            ([Scalar.signed(1_700_000_000)], [Scalar.signed(1_700_000_000)]),
            ([widths], [widths]), ([resource], [resource]), ([batch], [batch]),
            ([Scalar.list(list)], [Scalar.list(list)]),
            ([S.SampleResult.count(2)], [S.SampleResult.count(2)]), ([S.SampleValue.file(1)], [S.SampleValue.file(1)]),
            ([Scalar.handle(Handle(widening: 3)), Scalar.hyper(-1), Scalar.size(5)], [buffer]),
            ([Scalar.handle(Handle(widening: 3)), buffer], [Scalar.signed(5)]),
            ([Scalar.name("a.txt"), S.SampleKind.file, Scalar.deadline(60)], [S.SampleResult.resource(resource)]),
            ([Scalar.int(2), Scalar.int(3)], [Scalar.int(5)]), ([Scalar.name("crossbit")], [Scalar.name("hello")]),
        ]
    }

    /// A procedure argument or result that is not a generated type.
    enum Scalar: XDREncodable {
        case size(UInt), signed(Int), handle(Handle), hyper(Int64), int(Int32), name(String)
        case list(S.SampleNode?), deadline(Int?)

        func encode(xdr writer: inout XDRWriter) throws(XDRError) {
            switch self {
            case .size(let value): try writer.writeUnsigned(value, as: .sizeT)
            case .signed(let value): try writer.writeSigned(value, as: .ssizeT)
            case .handle(let value): writer.writeHandle(value)
            case .hyper(let value): writer.writeInt64(value)
            case .int(let value): writer.writeInt32(value)
            case .name(let value): try writer.writeString(value, maximum: nil)
            case .list(let value):
                writer.writeBool(value != nil)
                try value?.encode(xdr: &writer)
            case .deadline(let value):
                writer.writeBool(value != nil)
                if let value { try writer.writeSigned(value, as: .timeT) }
            }
        }
    }
}
