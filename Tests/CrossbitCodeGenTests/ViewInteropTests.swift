import CrossbitCodeGen
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// The views against memory gcc laid out: a C program built with `gcc -m32` or
/// `-m64` from rpcgen's `sv_item` writes one value; the view of that layout reads
/// it back, and writing the same value through the view gives the same bytes.
@Suite struct ViewInteropTests {
    typealias S = SharedViews

    /// C statements filling `v`; the same text for both lowerings.
    static let fill = """
        v.size = 4000000000u; v.offset = -5; v.handle = 0x80000010u; v.stamp = -9000000000LL;
        v.c = -3; v.s = -300; v.uc = 200; v.us = 60000; v.l = -7; v.ul = 7; v.flag = 1; v.state = SV_BUSY;
        v.ratio = 0.5; v.scale = 2.0f; v.times[0] = 1; v.times[1] = -2; v.times[2] = 3;
        for (int i = 0; i < 6; i++) v.tag[i] = (char)(i + 1);
        v.inner.handle = 42; v.inner.stamp = 1LL << 40;
        v.pair[0].handle = 1; v.pair[0].stamp = 2; v.pair[1].handle = 3; v.pair[1].stamp = 4;
        v.address = 0xdeadbeefu; v.delta = -1; v.big = 18446744073709551615ULL; v.i = -9; v.u = 9;
        """

    /// What a view of `layout` reads: `0x80000010` is a negative ILP32 handle, sign-extended.
    static func expected(_ layout: WireLayout) -> S.SvItem {
        S.SvItem(
            size: 4_000_000_000, offset: -5,
            handle: layout == .ilp32 ? Handle(widening: 0x8000_0010) : Handle(0x8000_0010),
            stamp: -9_000_000_000, c: -3, s: -300, uc: 200, us: 60000, l: -7, ul: 7, flag: true, state: .busy,
            ratio: 0.5, scale: 2, times: [1, -2, 3], tag: [1, 2, 3, 4, 5, 6],
            inner: S.SvInner(handle: Handle(42), stamp: 1 << 40),
            pair: [S.SvInner(handle: Handle(1), stamp: 2), S.SvInner(handle: Handle(3), stamp: 4)],
            address: 0xdead_beef, delta: -1, big: UInt64.max, i: -9, u: 9)
    }

    /// The bytes of one `sv_item` as the C program of `layout` writes them (padding zeroed).
    static func cBytes(_ layout: WireLayout) async throws -> [UInt8] {
        let directory = try Paths.temporaryDirectory("views")
        defer { try? FileManager.default.removeItem(at: directory) }
        let module = try IDLFrontEnd.load(path: Paths.repositoryRoot + "/Tests/IDL/shared_views.x")
        try RPCLPrinter.print(module, layout: layout).write(
            to: directory.appendingPathComponent("shared_views.x"), atomically: true, encoding: .utf8)
        try await runTool(
            "/usr/bin/rpcgen", ["-N", "-h", "-o", "shared_views.h", "shared_views.x"], in: directory.path)
        let program = """
            #include <stdio.h>
            #include <string.h>
            #include <rpc/rpc.h>
            #include "shared_views.h"

            int main(void) {
                sv_item v;
                memset(&v, 0, sizeof v);
            \(fill)
                return fwrite(&v, sizeof v, 1, stdout) == 1 ? 0 : 1;
            }

            """
        try program.write(to: directory.appendingPathComponent("write.c"), atomically: true, encoding: .utf8)
        try await RPCGen.compile(["write.c"], layout: layout, in: directory.path, output: "write")
        let output = directory.appendingPathComponent("bytes").path
        try await runTool("/bin/sh", ["-c", "./write > \(output)"], in: directory.path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    @Test(arguments: WireLayout.allCases)
    func viewsReadAndWriteWhatGCCLaysOut(layout: WireLayout) async throws {
        let bytes = try await Self.cBytes(layout)
        #expect(bytes.count == S.SvItemView.size(layout))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        let view = try S.SvItemView(buffer, layout: layout)
        #expect(try view.load() == Self.expected(layout))
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        try view.store(Self.expected(layout))
        #expect(Array(buffer) == bytes)
    }
}
