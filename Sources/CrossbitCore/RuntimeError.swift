/// An error of misuse or configuration: something a program was given or
/// set up with that cannot work, at a wider scope than one call.
///
/// Shaped after grpc-swift-2's `RuntimeError`, beside ``RPCError`` as it is
/// there: an ``RPCError`` says how one call went (a caller retries it or
/// reports it), a `RuntimeError` says the program or its configuration must
/// change (a bad flag, TOML key, route, address or environment variable).
/// The executables exit 2 on it and 1 on a failed call (docs/architecture.md,
/// "Errors and exit statuses").
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of misuse, for a caller that switches on it; more codes may come.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case invalidArgument = "invalid argument"
            case invalidConfiguration = "invalid configuration"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A caller passed something unusable: a command-line argument, an
        /// IDL file or JSON text that does not fit, an address that is none.
        public static let invalidArgument = Code(.invalidArgument)
        /// A configuration (file, flags, environment) that a daemon cannot start or reload with.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    /// What is wrong and where, in words a person acts on.
    public var message: String
    /// The error that led to this one, if any (not part of equality).
    public var cause: (any Error & Sendable)?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message alone: it is what people read, after the tool's name
    /// (`crossbitd: error: …`), and the messages already name their cause.
    public var description: String { message }

    /// The code, the message and the cause, for logs and test failures.
    public var debugDescription: String {
        guard let cause else { return "\(code): \(message)" }
        return "\(code): \(message) (cause: \(cause))"
    }

    public static func == (lhs: RuntimeError, rhs: RuntimeError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
