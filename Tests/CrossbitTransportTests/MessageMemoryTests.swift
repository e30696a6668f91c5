import CrossbitTransport
import Glibc
import Testing

/// `MessageMemory.keepFreedBuffers`: once a large buffer has been used, the next one of its size reuses its
/// pages instead of faulting fresh ones in (what made every 1 MiB message pay for page faults).
@Suite("Message memory")
struct MessageMemoryTests {
    /// Minor page faults of this process so far.
    private func minorFaults() -> Int {
        var usage = rusage()
        #expect(getrusage(RUSAGE_SELF.rawValue, &usage) == 0)
        return usage.ru_minflt
    }

    @Test("with the thresholds set, 32 rounds of three large buffers fault their pages in about once, not 32 times")
    func freedBuffersAreReused() throws {
        #expect(MessageMemory.keepFreedBuffers(upTo: 16 << 20))
        let size = 4 << 20
        let pages = size / Int(sysconf(Int32(_SC_PAGESIZE)))
        let before = minorFaults()
        // A message's buffers are alive at once (record, body, decoded value), then all freed: glibc's defaults
        // give the 12 MiB back to the system after each round, so the next round faults every page in again.
        for round in 0..<32 {
            let buffers = try (0..<3).map { _ in try #require(malloc(size)) }
            for buffer in buffers { memset(buffer, Int32(round), size) }
            for buffer in buffers { free(buffer) }
        }
        let faults = minorFaults() - before
        // Without the thresholds: about 32 × 3 × pages.
        #expect(faults < 8 * pages, "\(faults) page faults for 32 rounds of 3 buffers of \(pages) pages")
    }

    @Test("a size beyond what glibc accepts is clamped to its largest threshold, not refused")
    func largeSizesAreClamped() {
        #expect(MessageMemory.keepFreedBuffers(upTo: 1 << 30))
        #expect(MessageMemory.keepFreedBuffers())
    }
}
