/// An error of a shared region: a code to switch on and a message for people
/// naming the region (and the system call and its `errno` where one failed).
public struct SharedRegionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case invalidName = "invalid name"
            case systemCallFailed = "system call failed"
            case notARegion = "not a Crossbit region"
            case wrongType = "wrong type"
            case truncated = "truncated region"
            case tooLarge = "too large"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A name `shm_open` cannot take: it must be `/` and 1 to 254 characters with no other `/`.
        public static let invalidName = Code(.invalidName)
        /// `shm_open`, `ftruncate`, `fstat`, `mmap` or `shm_unlink` failed (``SharedRegionError/errno`` says why).
        public static let systemCallFailed = Code(.systemCallFailed)
        /// The object has no region header (wrong magic or version).
        public static let notARegion = Code(.notARegion)
        /// The region holds another IDL type, or another version of it (its fingerprint differs).
        public static let wrongType = Code(.wrongType)
        /// The object is smaller than its header says its elements need.
        public static let truncated = Code(.truncated)
        /// The element count times the element size does not fit in memory.
        public static let tooLarge = Code(.tooLarge)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String
    /// The `errno` of a failed system call.
    public var errno: Int32?

    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(code): \(message)" }
}
