import CCrossbitShim

/// How a process keeps the memory of large messages between calls.
///
/// Every message of a megabyte or more passes through a few buffers of its size (the record, the body, the
/// decoded value, the reply). glibc's malloc serves such a buffer from a fresh `mmap` until it has seen one
/// freed, and then from a heap that it trims back to the system as soon as the buffer is freed again: the
/// next message pays for page faults and zeroed pages on every buffer. Measured with 1 MiB echoed through
/// the broker to a Swift server (docs/server-concurrency.md, "Large messages"), that was half of both
/// processes' time.
///
/// Whether a process keeps that memory is the process's decision, not a library's: `crossbitd` calls
/// ``keepFreedBuffers(upTo:)`` when it starts, and a Swift service that moves large messages can do the
/// same in its `main` (or set `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…`).
public enum MessageMemory {
    /// The largest `mmap` threshold glibc accepts on a 64-bit system (`DEFAULT_MMAP_THRESHOLD_MAX`).
    static let largestThreshold = 32 << 20

    /// Serves buffers up to `largest` bytes (at most 32 MiB) from malloc's heap, and keeps up to twice
    /// that free at the top of the heap instead of returning it to the system after each message. The
    /// memory kept is what the largest messages used at once, never more; a process that never sees a
    /// large message keeps nothing. Returns false when glibc refused a setting (it then keeps its own).
    @discardableResult
    public static func keepFreedBuffers(upTo largest: Int = RPCServer.Options().maximumMessageSize) -> Bool {
        let threshold = Int32(min(max(largest, 128 << 10), largestThreshold))
        return crossbit_malloc_thresholds(threshold, 2 * threshold) == 1
    }
}
