import CrossbitBroker
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Foundation
import Testing

/// Bytes written by B's XDR writer in one layout.
func xdr(_ layout: WireLayout, _ body: (inout XDRWriter) throws(XDRError) -> Void) throws -> [UInt8] {
    var writer = XDRWriter(layout: layout)
    try body(&writer)
    return writer.finish()
}

@Suite struct ConversionTests {
    static let source = """
        typedef size_t len_t;
        enum color { RED = 0, GREEN = 1 };
        struct buffer {
            color tint;
            len_t size;
            handle_t owner;
            time_t when;
            opaque data<16>;
        };
        union outcome switch (int status) {
        case 0: buffer ok;
        case 1: ssize_t error;
        default: void;
        };
        struct node { intptr_t value; node *next; };
        typedef uintptr_t items<2>;
        struct plain { int a; hyper b; string s<>; color c[2]; };
        program P {
            version V {
                outcome PUT(buffer, size_t) = 1;
                node WALK(node) = 2;
                plain ECHO(plain) = 3;
                uintptr_t LIST(items) = 4;
            } = 1;
        } = 0x20000099;
        """

    let catalog: IDLCatalog

    init() throws {
        catalog = try IDLCatalog(modules: [try IDLFrontEnd.load(source: Self.source, file: "test.x")])
    }

    func plan(_ procedure: UInt32) throws -> ProcedurePlan {
        try #require(catalog.plan(program: 0x2000_0099, version: 1, procedure: procedure))
    }

    func buffer(_ writer: inout XDRWriter, size: UInt, owner: Handle, when: Int) throws(XDRError) {
        writer.writeInt32(1)
        try writer.writeUnsigned(size, as: .sizeT)
        writer.writeHandle(owner)
        try writer.writeSigned(when, as: .timeT)
        try writer.writeOpaque([1, 2, 3], maximum: 16)
    }

    @Test func resolvesNamesAndNumbers() throws {
        #expect(catalog.programNumber(.name("P")) == 0x2000_0099)
        #expect(catalog.versionNumber(.name("V"), program: 0x2000_0099) == 1)
        #expect(catalog.versionNumber(.name("W"), program: 0x2000_0099) == nil)
        #expect(catalog.defines(program: 0x2000_0099, version: 1))
        #expect(catalog.displayName(program: 0x2000_0099, version: 1) == "P.V")
        #expect(try plan(0).passesThrough)
        #expect(catalog.plan(program: 0x2000_0099, version: 1, procedure: 9) == nil)
    }

    @Test func passThroughOnlyWithoutWidthDependentParts() throws {
        #expect(try plan(3).passesThrough)
        #expect(try !plan(1).passesThrough)
        #expect(try !plan(2).passesThrough)
        #expect(try !plan(4).passesThrough)
    }

    static let limits: [(UInt, Handle, Int)] = [
        (0, Handle(0xFFFF_FFFF), -1), (UInt(UInt32.max), Handle(7), Int(Int32.max)), (5, Handle(1), Int(Int32.min)),
    ]

    @Test(arguments: limits)
    func widensArgumentsAndNarrowsThemBack(size: UInt, owner: Handle, when: Int) throws {
        let put = try plan(1)
        let narrow = try xdr(.ilp32) { w throws(XDRError) in
            try buffer(&w, size: size, owner: owner, when: when)
            try w.writeUnsigned(size, as: .sizeT)
        }
        let wide = try put.carryArguments(narrow, from: .ilp32, to: .lp64).bytes
        // A handle from a 32-bit peer is sign-extended: 0xFFFFFFFF becomes 64-bit -1.
        let widenedOwner = Handle(widening: owner.narrowed)
        #expect(
            wide
                == (try xdr(.lp64) { w throws(XDRError) in
                    try buffer(&w, size: size, owner: widenedOwner, when: when)
                    try w.writeUnsigned(size, as: .sizeT)
                }))
        #expect(try put.carryArguments(wide, from: .lp64, to: .ilp32).bytes == narrow)
    }

    @Test func convertsUnionResults() throws {
        let put = try plan(1)
        let wideError = try xdr(.lp64) { w throws(XDRError) in
            w.writeInt32(1)
            try w.writeSigned(-42, as: .ssizeT)
        }
        #expect(try put.carryResult(wideError, from: .lp64, to: .ilp32).bytes == [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xD6])
        let void = try xdr(.lp64) { w throws(XDRError) in w.writeInt32(7) }
        #expect(try put.carryResult(void, from: .lp64, to: .ilp32).bytes == void)
    }

    @Test func narrowingFailureNamesPathAndValue() throws {
        let put = try plan(1)
        let wide = try xdr(.lp64) { w throws(XDRError) in
            try buffer(&w, size: 0x1_0000_0000, owner: Handle(1), when: 0)
            try w.writeUnsigned(1, as: .sizeT)
        }
        let error = #expect(throws: XDRError.self) { try put.carryArguments(wide, from: .lp64, to: .ilp32).bytes }
        #expect(error?.pathDescription == "arg1.size")
        #expect(error?.kind == .narrowingOverflow(type: .sizeT, value: "4294967296", layout: .ilp32))

        let late = try xdr(.lp64) { w throws(XDRError) in
            w.writeInt32(0); try buffer(&w, size: 1, owner: Handle(1), when: 1 << 40)
        }
        let resultError = #expect(throws: XDRError.self) { try put.carryResult(late, from: .lp64, to: .ilp32).bytes }
        #expect(resultError?.pathDescription == "result.ok.when")
    }

    @Test func walksRecursiveListsAndArrays() throws {
        let walk = try plan(2)
        let narrow = try xdr(.ilp32) { w throws(XDRError) in
            try w.writeSigned(-1, as: .intptrT)
            w.writeBool(true)
            try w.writeSigned(2, as: .intptrT)
            w.writeBool(false)
        }
        let wide = try walk.carryArguments(narrow, from: .ilp32, to: .lp64).bytes
        #expect(wide.count == 24)
        #expect(try walk.carryResult(wide, from: .lp64, to: .ilp32).bytes == narrow)

        let list = try plan(4)
        let items = try xdr(.lp64) { w throws(XDRError) in
            try w.writeLength(2, maximum: 2)
            try w.writeUnsigned(1, as: .uintptrT)
            try w.writeUnsigned(UInt(UInt32.max) + 1, as: .uintptrT)
        }
        let error = #expect(throws: XDRError.self) { try list.carryArguments(items, from: .lp64, to: .ilp32).bytes }
        #expect(error?.pathDescription == "arg1[1]")
    }

    @Test(arguments: [
        [UInt8](),  // nothing at all
        [0, 0, 0, 1, 0, 0],  // cut inside the size
        [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 99],  // opaque length over its bound
    ])
    func garbageIsAnErrorNotACrash(bytes: [UInt8]) throws {
        #expect(throws: XDRError.self) { try plan(1).carryArguments(bytes, from: .ilp32, to: .lp64).bytes }
    }

    @Test("bytes after the value are left out and counted; a bool of 2 is an error")
    func trailingBytesAndBadBools() throws {
        let walk = try plan(2)
        let carried = try walk.carryArguments([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9], from: .ilp32, to: .lp64)
        #expect(carried == CarriedValue(bytes: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], trailingBytes: 4))
        let error = #expect(throws: XDRError.self) {
            try walk.carryArguments([0, 0, 0, 1, 0, 0, 0, 2], from: .ilp32, to: .lp64)
        }
        #expect(error?.kind == .invalidBool(2))
    }
}

/// What the broker checks in a call it forwards unconverted (docs/security.md).
@Suite struct ValidationScanTests {
    let catalog: IDLCatalog

    init() throws {
        catalog = try IDLCatalog(modules: [try IDLFrontEnd.load(source: ConversionTests.source, file: "test.x")])
    }

    /// `plain ECHO(plain)`: `{ int a; hyper b; string s<>; color c[2]; }`, no width-dependent value.
    func echo(a: Int32 = 1, string: [UInt8] = Array("hi".utf8), colors: (Int32, Int32) = (0, 1)) throws -> [UInt8] {
        try xdr(.ilp32) { w throws(XDRError) in
            w.writeInt32(a)
            w.writeInt64(-2)
            try w.writeOpaque(string, maximum: nil)
            w.writeInt32(colors.0)
            w.writeInt32(colors.1)
        }
    }

    func plan(_ procedure: UInt32) throws -> ProcedurePlan {
        try #require(catalog.plan(program: 0x2000_0099, version: 1, procedure: procedure))
    }

    @Test("a valid pass-through call is forwarded as it came, in both layouts")
    func validCall() throws {
        let echo = try plan(3)
        #expect(echo.passesThrough)
        let bytes = try self.echo()
        #expect(try echo.carryArguments(bytes, from: .ilp32, to: .lp64) == CarriedValue(bytes: bytes, trailingBytes: 0))
        #expect(
            try echo.carryArguments(bytes + [0, 0, 0, 7], from: .lp64, to: .lp64)
                == CarriedValue(bytes: bytes, trailingBytes: 4))
    }

    @Test("an undeclared enum value is refused unless enums are relaxed")
    func undeclaredEnum() throws {
        let echo = try plan(3)
        let bytes = try self.echo(colors: (1, 99))
        let error = #expect(throws: XDRError.self) { try echo.carryArguments(bytes, from: .ilp32, to: .ilp32) }
        #expect(error?.kind == .invalidEnumValue(type: "color", value: 99))
        #expect(error?.pathDescription == "arg1.c[1]")
        #expect(try echo.carryArguments(bytes, from: .ilp32, to: .ilp32, checks: [.bounds]).bytes == bytes)
    }

    @Test("a union discriminant with no arm: refused, or with unions relaxed the rest forwarded unchecked")
    func discriminantWithoutArm() throws {
        // `outcome` (above) has a default arm: a union without one.
        let catalog = try IDLCatalog(modules: [
            try IDLFrontEnd.load(
                source: """
                    union pick switch (unsigned kind) { case 1: int one; case 2: hyper two; };
                    program Q { version W { int TAKE(pick) = 1; } = 1; } = 0x2000009A;
                    """, file: "pick.x")
        ])
        let take = try #require(catalog.plan(program: 0x2000_009A, version: 1, procedure: 1))
        let bytes: [UInt8] = [0, 0, 0, 3, 0, 0, 0, 5]
        let error = #expect(throws: XDRError.self) { try take.carryArguments(bytes, from: .lp64, to: .ilp32) }
        #expect(error?.kind == .invalidDiscriminant(type: "pick", value: 3))
        #expect(try take.carryArguments(bytes, from: .lp64, to: .ilp32, checks: [.enumValues]).bytes == bytes)
    }

    @Test("a length over its bound is refused unless bounds are relaxed; never past the bytes received")
    func overBound() throws {
        let put = try plan(1)  // buffer's data<16>, same layout: scanned
        let bytes = try xdr(.lp64) { w throws(XDRError) in
            w.writeInt32(0)
            try w.writeUnsigned(1, as: .sizeT)
            w.writeHandle(Handle(1))
            try w.writeSigned(0, as: .timeT)
            try w.writeOpaque([UInt8](repeating: 7, count: 20), maximum: nil)
            try w.writeUnsigned(1, as: .sizeT)
        }
        let error = #expect(throws: XDRError.self) { try put.carryArguments(bytes, from: .lp64, to: .lp64) }
        #expect(error?.kind == .lengthOverBound(length: 20, maximum: 16))
        #expect(error?.pathDescription == "arg1.data")
        #expect(try put.carryArguments(bytes, from: .lp64, to: .lp64, checks: []).bytes == bytes)
        let cut = Array(bytes.prefix(bytes.count - 12))
        #expect(throws: XDRError.self) { try put.carryArguments(cut, from: .lp64, to: .lp64, checks: []) }
    }
}

@Suite struct DeepListTests {
    /// A list of `count` nodes of `struct node { intptr_t value; node *next; }` in `layout`.
    static func list(_ count: Int, _ layout: WireLayout) throws -> [UInt8] {
        try xdr(layout) { w throws(XDRError) in
            for index in 0..<count {
                try w.writeSigned(index, as: .intptrT)
                w.writeBool(index + 1 < count)
            }
        }
    }

    @Test func longListsConvertAndOverlongOnesAreErrors() throws {
        let catalog = try IDLCatalog(modules: [try IDLFrontEnd.load(source: ConversionTests.source, file: "test.x")])
        let walk = try #require(catalog.plan(program: 0x2000_0099, version: 1, procedure: 2))
        let wide = try walk.carryArguments(try Self.list(2_000, .ilp32), from: .ilp32, to: .lp64).bytes
        #expect(wide == (try Self.list(2_000, .lp64)))
        let error = #expect(throws: XDRError.self) {
            try walk.carryArguments(try Self.list(100_000, .ilp32), from: .ilp32, to: .lp64)
        }
        #expect(error?.kind == .nestingTooDeep(maximum: 2_000))
    }
}

@Suite struct IDLCatalogLoadingTests {
    @Test func loadsFilesAndFoldersOnce() throws {
        let catalog = try IDLCatalog(paths: [Paths.repositoryRoot + "/IDL", Paths.sampleIDL])
        #expect(catalog.programNumber(.name("CROSSBIT_SAMPLE")) == 0x2000_1001)
        #expect(catalog.programNumber(.name("CROSSBIT_BROKER")) == 0x2000_1000)
    }

    @Test func namesWhatCannotBeLoaded() throws {
        #expect(throws: ConfigurationError("IDL path '/nonexistent.x' does not exist")) {
            try IDLCatalog(paths: ["/nonexistent.x"])
        }
        let empty = try Paths.temporaryDirectory("empty-idl").path
        #expect(throws: ConfigurationError("IDL folder '\(empty)' holds no .x file")) { try IDLCatalog(paths: [empty]) }
        let bad = empty + "-bad.x"
        try "struct broken {".write(toFile: bad, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) { try IDLCatalog(paths: [bad]) }
        #expect(
            error?.message.hasPrefix("cannot load IDL '\(bad)':\n\(bad):1:") == true, "\(String(describing: error))")
    }
}
