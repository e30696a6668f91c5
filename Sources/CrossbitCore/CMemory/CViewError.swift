/// An error of a view over C memory: a code to switch on, a message for
/// people, and the member path (`items[3].size`) where it happened.
///
/// Shaped like ``XDRError`` and ``RPCError``: views apply the wire's rules to
/// memory, so a value that does not fit a narrower layout fails the same way.
public struct CViewError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case valueDoesNotFit = "value does not fit"
            case invalidValue = "invalid value"
            case bufferTooSmall = "buffer too small"
            case misaligned = "misaligned buffer"
            case wrongCount = "wrong element count"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A value too wide for its C type in this layout (a `size_t` over
        /// 4294967295 in ILP32, say): nothing is written.
        public static let valueDoesNotFit = Code(.valueDoesNotFit)
        /// Memory holding what its type cannot (an enum value with no case, a `bool_t` of 7).
        public static let invalidValue = Code(.invalidValue)
        /// The memory is smaller than the C type (or array) needs.
        public static let bufferTooSmall = Code(.bufferTooSmall)
        /// The memory does not start at a multiple of the C type's alignment.
        public static let misaligned = Code(.misaligned)
        /// A fixed-size array set from, or converted to, a different count.
        public static let wrongCount = Code(.wrongCount)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String
    /// Member names and `[index]` elements from the outermost value inward.
    public var path: [String]

    public init(code: Code, message: String, path: [String] = []) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// The path as one string, e.g. `items[3].size`.
    public var pathDescription: String { FieldPath.description(of: path) }

    /// This error inside the member `name` of an enclosing struct.
    public func inMember(_ name: String) -> CViewError {
        var copy = self
        copy.path.insert(name, at: 0)
        return copy
    }

    /// This error inside element `index` of an enclosing array.
    public func inElement(_ index: Int) -> CViewError { inMember("[\(index)]") }

    public var description: String {
        path.isEmpty ? "\(code): \(message)" : "\(pathDescription): \(code): \(message)"
    }
}
