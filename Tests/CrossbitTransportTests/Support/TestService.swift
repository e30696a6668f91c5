import CrossbitCore
import Testing

/// The width-dependent struct of `cbtest.x`.
struct Widths: Equatable {
    var size: UInt
    var handle: Handle
    var offset: Int

    init(size: UInt, handle: Handle, offset: Int) {
        self.size = size
        self.handle = handle
        self.offset = offset
    }

    init(from reader: inout XDRReader) throws(XDRError) {
        size = try reader.readUnsigned(as: .sizeT)
        handle = try reader.readHandle()
        offset = try reader.readSigned(as: .ssizeT)
    }

    func encode(to writer: inout XDRWriter) throws(XDRError) {
        try writer.writeUnsigned(size, as: .sizeT)
        writer.writeHandle(handle)
        try writer.writeSigned(offset, as: .ssizeT)
    }

    /// How DESCRIBE prints the values, in both the Swift and the C server.
    var text: String { "size=\(size) handle=\(Int(bitPattern: handle.rawValue)) offset=\(offset)" }

    /// The extreme values of a layout: all-ones size and handle, the most negative offset.
    static func limits(of layout: WireLayout) -> Widths {
        layout == .lp64
            ? Widths(size: .max, handle: Handle(rawValue: .max), offset: .min)
            : Widths(size: UInt(UInt32.max), handle: Handle(widening: .max), offset: Int(Int32.min))
    }
}

/// A hand-written Swift server of `cbtest.x` over the XDR runtime.
struct TestService: RPCServiceDispatcher {
    var program = CPeerSources.program
    var version = CPeerSources.version

    init(program: UInt32 = CPeerSources.program, version: UInt32 = CPeerSources.version) {
        self.program = program
        self.version = version
    }

    func dispatch(procedure: UInt32, arguments: [UInt8], context: RPCCallContext) async throws(RPCError) -> [UInt8] {
        guard let known = CPeerSources.Procedure(rawValue: procedure) else {
            throw RPCError(code: .procedureUnavailable, message: "no procedure \(procedure)")
        }
        if known == .fail { throw RPCError(code: .systemError, message: "FAIL always fails") }
        var reader = XDRReader(bytes: arguments, layout: context.layout)
        var writer = XDRWriter(layout: context.layout)
        do throws(XDRError) {
            switch known {
            case .add:
                let a = try reader.readInt32(), b = try reader.readInt32()
                writer.writeInt32(a &+ b)
            case .echo:
                try writer.writeString(try reader.readString(maximum: nil), maximum: nil)
            case .widths:
                try Widths(from: &reader).encode(to: &writer)
            case .describe:
                try writer.writeString(try Widths(from: &reader).text, maximum: nil)
            case .sleep:
                let milliseconds = try reader.readUInt32()
                try? await Task.sleep(for: .milliseconds(milliseconds))
            case .whoami:
                let text =
                    context.credentials.map { "sys uid=\($0.uid) gid=\($0.gid) machine=\($0.machineName)" } ?? "none"
                try writer.writeString(text, maximum: nil)
            case .blob:
                try writer.writeOpaque(try reader.readOpaque(maximum: nil), maximum: nil)
            case .fail:
                break
            }
            try reader.finish()
        } catch {
            throw RPCError(code: .garbageArguments, message: "\(known): \(error)")
        }
        return writer.finish()
    }
}

/// Calls `cbtest.x` procedures over any transport, encoding in its layout.
struct TestClient {
    let transport: any RPCClientTransport

    var program = CPeerSources.program

    func call(
        _ procedure: CPeerSources.Procedure, timeout: Duration? = nil,
        _ encode: (inout XDRWriter) throws(XDRError) -> Void = { _ in }
    )
        async throws -> XDRReader
    {
        var writer = XDRWriter(layout: transport.layout)
        try encode(&writer)
        let id = ProcedureID(program: program, version: CPeerSources.version, procedure: procedure.rawValue)
        let result = try await transport.call(id, arguments: writer.finish(), options: CallOptions(timeout: timeout))
        return XDRReader(bytes: result, layout: transport.layout)
    }

    func add(_ a: Int32, _ b: Int32) async throws -> Int32 {
        var reader = try await call(.add) { writer in
            writer.writeInt32(a); writer.writeInt32(b)
        }
        return try reader.readInt32()
    }

    func echo(_ text: String) async throws -> String {
        var reader = try await call(.echo) { writer throws(XDRError) in try writer.writeString(text, maximum: nil) }
        return try reader.readString(maximum: nil)
    }

    func widths(_ widths: Widths) async throws -> Widths {
        var reader = try await call(.widths) { writer throws(XDRError) in try widths.encode(to: &writer) }
        return try Widths(from: &reader)
    }

    func describe(_ widths: Widths) async throws -> String {
        var reader = try await call(.describe) { writer throws(XDRError) in try widths.encode(to: &writer) }
        return try reader.readString(maximum: nil)
    }

    func sleep(milliseconds: UInt32, timeout: Duration? = nil) async throws {
        _ = try await call(.sleep, timeout: timeout) { writer in writer.writeUInt32(milliseconds) }
    }

    func whoami() async throws -> String {
        var reader = try await call(.whoami)
        return try reader.readString(maximum: nil)
    }

    func blob(_ bytes: [UInt8]) async throws -> [UInt8] {
        var reader = try await call(.blob) { writer throws(XDRError) in try writer.writeOpaque(bytes, maximum: nil) }
        return try reader.readOpaque(maximum: nil)
    }

    /// Calls every procedure and checks every result, width-dependent limits included.
    func exerciseEveryProcedure() async throws {
        #expect(try await add(-5, 47) == 42)
        #expect(try await echo("héllo, wörld") == "héllo, wörld")
        let limits = Widths.limits(of: transport.layout)
        #expect(try await widths(limits) == limits)
        let expected =
            transport.layout == .lp64
            ? "size=18446744073709551615 handle=-1 offset=-9223372036854775808"
            : "size=4294967295 handle=-1 offset=-2147483648"
        #expect(try await describe(limits) == expected)
        try await sleep(milliseconds: 1)
        await #expect(throws: RPCError.self) { _ = try await call(.fail) }
        let payload = (0..<4000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(try await blob(payload) == payload)
    }
}
