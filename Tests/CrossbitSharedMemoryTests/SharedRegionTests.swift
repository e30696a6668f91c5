import CrossbitCore
import CrossbitSharedMemory
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Named regions: a header a reader of either width can check, refusal of a
/// region of another type, and every system call's failure as a typed error.
@Suite struct SharedRegionTests {
    typealias S = SharedViews

    static func uniqueName() -> String { "/crossbit-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    static let item = S.SvItem(
        size: 4_000_000_000, offset: -5, handle: Handle(UInt.max), stamp: Int64.min, c: -3, s: 300, uc: 200,
        us: 60000, l: -7, ul: 7, flag: true, state: .busy, ratio: 0.5, scale: 2, times: [1, -2, 3],
        tag: [1, 2, 3, 4, 5, 6], inner: S.SvInner(handle: Handle(42), stamp: 1 << 40),
        pair: [S.SvInner(handle: Handle(1), stamp: 2), S.SvInner(handle: Handle(3), stamp: 4)],
        address: 0xdead_beef, delta: -1, big: UInt64.max, i: -9, u: 9)

    @Test func aReaderMapsWhatTheWriterWroteAndSeesTheGeneration() throws {
        let name = Self.uniqueName()
        let writer = try SharedRegion.create(name: name, S.SvItemView.self, count: 3, layout: .ilp32)
        defer { try? writer.unlink() }
        try writer.view(S.SvItemView.self).store([Self.item, Self.item, Self.item])
        writer.publish()

        let reader = try SharedRegion.open(name: name, S.SvItemView.self)
        #expect(
            reader.header
                == RegionHeader(
                    layout: .ilp32, elementSize: S.SvItemView.size(.ilp32), fingerprint: S.SvItemView.fingerprint,
                    count: 3))
        #expect(reader.generation == 1)
        let rows = try reader.view(S.SvItemView.self)
        #expect(try rows.load() == Array(repeating: Self.item, count: 3))
        try rows[1].setOffset(-6)
        #expect(reader.publish() == 2)
        #expect(writer.generation == 2)
        #expect(try writer.view(S.SvItemView.self)[1].offset() == -6)

        // The whole array converted into LP64 memory of this process.
        let wide = UnsafeMutableRawBufferPointer.allocate(byteCount: 3 * S.SvItemView.size(.lp64), alignment: 8)
        defer { wide.deallocate() }
        let lp64 = try CArrayView<S.SvItemView>(wide, count: 3, layout: .lp64)
        try rows.convert(into: lp64)
        #expect(try lp64[1].offset() == -6 && lp64[2].load() == Self.item)
    }

    @Test func aKeptMappingKnowsWhenItsNameNamesAnotherObject() throws {
        let name = Self.uniqueName()
        let first = try SharedRegion.create(name: name, S.SvItemView.self, count: 1)
        let reader = try SharedRegion.open(name: name, S.SvItemView.self)
        #expect(try reader.isCurrent())
        try first.unlink()
        #expect(try !reader.isCurrent())
        let second = try SharedRegion.create(name: name, S.SvItemView.self, count: 1)
        defer { try? second.unlink() }
        #expect(try !reader.isCurrent())
        #expect(try SharedRegion.open(name: name, S.SvItemView.self).isCurrent())
    }

    @Test func aRegionOfAnotherTypeIsRefused() throws {
        let name = Self.uniqueName()
        let region = try SharedRegion.create(name: name, S.SvInnerView.self, count: 2)
        defer { try? region.unlink() }
        let error = #expect(throws: SharedRegionError.self) { try SharedRegion.open(name: name, S.SvItemView.self) }
        #expect(error?.code == .wrongType)
        #expect(error?.message.contains("sv_item") == true)
        #expect(try SharedRegion.open(name: name, S.SvInnerView.self).header.count == 2)
    }

    @Test func systemCallFailuresCarryTheCallAndErrno() throws {
        let name = Self.uniqueName()
        let missing = #expect(throws: SharedRegionError.self) { try SharedRegion.open(name: name, S.SvItemView.self) }
        #expect(missing?.code == .systemCallFailed && missing?.errno == ENOENT)
        #expect(missing?.message.hasPrefix("shm_open(\(name))") == true)
        let region = try SharedRegion.create(name: name, S.SvItemView.self, count: 1)
        defer { try? region.unlink() }
        let exists = #expect(throws: SharedRegionError.self) {
            try SharedRegion.create(name: name, S.SvItemView.self, count: 1)
        }
        #expect(exists?.errno == EEXIST)
        try region.unlink()
        let twice = #expect(throws: SharedRegionError.self) { try region.unlink() }
        #expect(twice?.errno == ENOENT && twice?.message.hasPrefix("shm_unlink") == true)
    }

    @Test(arguments: ["no-slash", "/a/b", "/", "/" + String(repeating: "x", count: 300)])
    func namesShmOpenCannotTakeAreRefused(name: String) {
        let error = #expect(throws: SharedRegionError.self) { try SharedRegion.open(name: name, S.SvItemView.self) }
        #expect(error?.code == .invalidName)
    }

    /// Writes `bytes` into a new shared memory object, as some other program might.
    static func rawObject(_ name: String, _ bytes: [UInt8]) throws {
        let descriptor = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count)
    }

    @Test func objectsWithoutAWholeHeaderAreNotRegions() throws {
        let short = Self.uniqueName()
        try Self.rawObject(short, Array("CRXBSHM1".utf8))
        defer { shm_unlink(short) }
        let tooShort = #expect(throws: SharedRegionError.self) { try SharedRegion.open(name: short, S.SvItemView.self) }
        #expect(tooShort?.code == .notARegion)

        let garbage = Self.uniqueName()
        try Self.rawObject(garbage, Array(repeating: 0x41, count: 128))
        defer { shm_unlink(garbage) }
        let noMagic = #expect(throws: SharedRegionError.self) {
            try SharedRegion.open(name: garbage, S.SvItemView.self)
        }
        #expect(noMagic?.code == .notARegion)
    }

    @Test func aHeaderCountingMoreThanTheObjectHoldsIsTruncated() throws {
        let name = Self.uniqueName()
        let region = try SharedRegion.create(name: name, S.SvItemView.self, count: 2)
        defer { try? region.unlink() }
        // What a broken writer might leave: a count far beyond the object's size.
        let header = try #require(region.elements.baseAddress) - RegionHeader.size
        header.storeBytes(of: UInt64(1000), toByteOffset: 32, as: UInt64.self)
        let error = #expect(throws: SharedRegionError.self) { try SharedRegion.open(name: name, S.SvItemView.self) }
        #expect(error?.code == .truncated)
    }
}
