/// An error of an RPC call: a code to switch on and a message for people.
///
/// Shaped after grpc-swift's `RPCError`: transport failures, timeouts, the
/// ONC RPC reply errors of RFC 5531, decode errors and narrowing overflow
/// all arrive as this one type.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in categories a caller can act on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case transportFailure = "transport failure"
            case timeout = "timeout"
            case programUnavailable = "program unavailable"
            case programMismatch = "program version mismatch"
            case procedureUnavailable = "procedure unavailable"
            case garbageArguments = "garbage arguments"
            case systemError = "system error"
            case authenticationError = "authentication error"
            case rpcVersionMismatch = "RPC version mismatch"
            case decodingFailed = "decoding failed"
            case narrowingOverflow = "narrowing overflow"
            case invalidArgument = "invalid argument"
            case layoutMismatch = "layout mismatch"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The peer could not be reached, or the connection failed.
        public static let transportFailure = Code(.transportFailure)
        /// The call's deadline passed before a reply arrived.
        public static let timeout = Code(.timeout)
        /// PROG_UNAVAIL: the server does not serve the program.
        public static let programUnavailable = Code(.programUnavailable)
        /// PROG_MISMATCH: the server serves the program, not this version.
        public static let programMismatch = Code(.programMismatch)
        /// PROC_UNAVAIL: the program version has no such procedure.
        public static let procedureUnavailable = Code(.procedureUnavailable)
        /// GARBAGE_ARGS: the server could not decode the arguments.
        public static let garbageArguments = Code(.garbageArguments)
        /// SYSTEM_ERR: the server failed while handling the call.
        public static let systemError = Code(.systemError)
        /// The call was denied for its credentials.
        public static let authenticationError = Code(.authenticationError)
        /// RPC_MISMATCH: the peer speaks another ONC RPC version.
        public static let rpcVersionMismatch = Code(.rpcVersionMismatch)
        /// The reply's body could not be decoded.
        public static let decodingFailed = Code(.decodingFailed)
        /// A width-dependent value does not fit the peer's layout.
        public static let narrowingOverflow = Code(.narrowingOverflow)
        /// The caller passed something unusable (a bad address, say).
        public static let invalidArgument = Code(.invalidArgument)
        /// The endpoint speaks the other wire layout than the client (its
        /// ``RPCError/cause`` is a ``LayoutMismatch`` naming both).
        public static let layoutMismatch = Code(.layoutMismatch)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?
    /// For `.programMismatch`: the lowest and highest versions the server has.
    public var supportedVersions: ClosedRange<UInt32>?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause {
            return "\(code): \(message) (cause: \(cause))"
        }
        return "\(code): \(message)"
    }
}

/// A client and the endpoint it reached speak different wire layouts: the
/// cause of an ``RPCError`` with code ``RPCError/Code/layoutMismatch``.
public struct LayoutMismatch: Error, Sendable, Hashable, CustomStringConvertible {
    /// The layout the client speaks.
    public var client: WireLayout
    /// The layout the endpoint speaks.
    public var endpoint: WireLayout

    public init(client: WireLayout, endpoint: WireLayout) {
        self.client = client
        self.endpoint = endpoint
    }

    public var description: String { "the endpoint speaks \(endpoint), the client \(client)" }
}
