import CrossbitCodeGen
import CrossbitCore
import CrossbitTestSupport
import Foundation
import PropertyBased
import Testing

/// C programs built by rpcgen from `crossbit-idl rpcl --layout L` — with
/// `gcc -m32` for ILP32 and `gcc -m64` for LP64 — exchange `ev_everything`
/// values with the generated Swift, byte for byte.
@Suite(.serialized) struct InteropTests {
    typealias Everything = XdrEverything.EvEverything

    /// The C peer of a layout, built once per test run.
    actor Peers {
        static let shared = Peers()
        private var built: [WireLayout: URL] = [:]

        func peer(_ layout: WireLayout) async throws -> URL {
            if let peer = built[layout] { return peer }
            let folder = try Paths.temporaryDirectory("ev-peer-\(layout)")
            let module = try loadModule(Paths.everythingIDL)
            try RPCLPrinter.print(module, layout: layout).write(
                to: folder.appending(path: "ev.x"), atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(
                at: Paths.testsFolder.appending(path: "Interop/ev_peer.c"), to: folder.appending(path: "ev_peer.c"))
            try await RPCGen.generate("ev", in: folder.path, flags: ["-N"])
            try await RPCGen.compile(
                ["ev_peer.c", "ev_xdr.c"], layout: layout, in: folder.path, flags: ["-O1"], output: "ev_peer")
            let peer = folder.appending(path: "ev_peer")
            built[layout] = peer
            return peer
        }
    }

    /// Runs the C peer; its exit status must be 0.
    func peer(_ layout: WireLayout, _ arguments: String...) async throws {
        let result = try await runTool(
            try await Peers.shared.peer(layout).path, arguments, timeout: .seconds(120), expectSuccess: false)
        #expect(result.status == 0, "ev_peer \(arguments.joined(separator: " ")) [\(layout)]: \(result.combined)")
    }

    @Test(arguments: WireLayout.allCases)
    func swiftDecodesWhatCEncodes(layout: WireLayout) async throws {
        let folder = try Paths.temporaryDirectory("ev-c-to-swift")
        let file = folder.appending(path: "c.bin")
        try await peer(layout, "encode", file.path)
        let bytes = [UInt8](try Data(contentsOf: file))
        let decoded = try Everything(xdrBytes: bytes, layout: layout)
        #expect(decoded.scalars == Self.expected.scalars)
        #expect(decoded.widths == Self.expected.widths)
        #expect(decoded.arrays == Self.expected.arrays)
        #expect(decoded.list == Self.expected.list)
        #expect(decoded.tree == Self.expected.tree)
        #expect(decoded.intUnion == Self.expected.intUnion)
        #expect(decoded.enumUnion == Self.expected.enumUnion)
        #expect(decoded.boolUnion == Self.expected.boolUnion)
        #expect(decoded.unsignedUnion == Self.expected.unsignedUnion)
        #expect(decoded.optionalWidths == Self.expected.optionalWidths)
        #expect(decoded.unions == Self.expected.unions)
        // Byte for byte: Swift encodes exactly what rpcgen's C encodes.
        #expect(try Self.expected.xdrBytes(layout: layout) == bytes)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test(arguments: WireLayout.allCases)
    func cDecodesWhatSwiftEncodes(layout: WireLayout) async throws {
        let folder = try Paths.temporaryDirectory("ev-swift-to-c")
        let file = folder.appending(path: "swift.bin")
        try Data(try Self.expected.xdrBytes(layout: layout)).write(to: file)
        try await peer(layout, "check", file.path)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Random values that fit both layouts survive Swift → C → Swift.
    @Test(arguments: WireLayout.allCases)
    func randomValuesRoundTripThroughC(layout: WireLayout) async throws {
        let peer = try await Peers.shared.peer(layout)
        let folder = try Paths.temporaryDirectory("ev-echo")
        defer { try? FileManager.default.removeItem(at: folder) }
        await propertyCheck(count: 25, input: EverythingGenerators.everything) { value in
            do {
                let input = folder.appending(path: "in.bin")
                let output = folder.appending(path: "out.bin")
                try Data(try value.xdrBytes(layout: layout)).write(to: input)
                let result = try await runTool(
                    peer.path, ["echo", input.path, output.path], timeout: .seconds(120), expectSuccess: false)
                #expect(result.status == 0, "\(result.combined)")
                let echoed = [UInt8](try Data(contentsOf: output))
                #expect(try Everything(xdrBytes: echoed, layout: layout) == value)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    // MARK: The expected value, as ev_peer.c builds it

    static let widths1 = XdrEverything.EvWidths(
        size: 0xFFFF_FFF0, ssize: -7, iptr: -123_456, uptr: 0xDEAD_BEEF, handle: Handle(0xFFFF_FFFF_8000_0001),
        time: 2_000_000_000, i3264: -1, u3264: 7)
    static let widths2 = XdrEverything.EvWidths(
        size: 1, ssize: Int(Int32.min), iptr: Int(Int32.max), uptr: 0, handle: Handle(0x7FFF_FFFF),
        time: Int(Int32.min), i3264: 0, u3264: 0xFFFF_FFFF)

    static func list(_ values: [Int]) -> XdrEverything.EvList? {
        values.reversed().reduce(nil) { next, value in XdrEverything.EvList(value: value, next: next) }
    }

    static let unions: [XdrEverything.EvIntUnion] = [
        .asInt(5), .asSize1(0xFFFF_FFFF), .asSize2(2), .case3, .evNegative("neg"),
        .default(discriminant: 7, widths1),
    ]

    static let expected = Everything(
        scalars: XdrEverything.EvScalars(
            i: -42, u: 4_000_000_000, l: -100_000, ul: 3_000_000_000, h: -9_000_000_000_000,
            uh: 18_000_000_000_000_000_000, f: 1.5, d: -2.25, b: true, color: .blue, alias: 7,
            colorAlias: .negativeCase),
        widths: widths1,
        arrays: XdrEverything.EvArrays(
            fixedOpaque: [1, 2, 3], inlineFixedOpaque: [9, 8, 7, 6, 5], inlineVarOpaque: [0xAA, 0xBB],
            unboundedOpaque: [1, 2, 3, 4, 5], name: "crossbit", unboundedName: "héllo wörld",
            fixedInts: [-1, 0, 1], varInts: [10, 20, 30, 40], unboundedHypers: [Int64.min, Int64.max],
            fixedWidths: [widths1, widths2], varWidths: [widths2], names: ["a", "bc", "def"],
            sizes: [0, 0xFFFF_FFFF], times: [-1, 0, 1_700_000_000], nestedLists: [[1, 2], [], [3]]),
        list: list([1, -2, 3]),
        tree: XdrEverything.EvTree(
            id: Handle(5), left: XdrEverything.EvTree(id: Handle(6), left: nil, right: nil, leaves: []),
            right: nil, leaves: [XdrEverything.EvList(value: 10, next: list([11]))]),
        intUnion: .evNegative("neg"),
        enumUnion: .green(list([99])),
        boolUnion: .true(-99),
        unsignedUnion: .big(3.5),
        optionalWidths: widths2,
        unions: unions)
}
