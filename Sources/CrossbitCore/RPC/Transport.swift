/// Identifies a procedure: ONC RPC program, version and procedure numbers.
public struct ProcedureID: Sendable, Hashable, CustomStringConvertible {
    public var program: UInt32
    public var version: UInt32
    public var procedure: UInt32

    public init(program: UInt32, version: UInt32, procedure: UInt32) {
        self.program = program
        self.version = version
        self.procedure = procedure
    }

    public var description: String { "\(program).\(version).\(procedure)" }
}

/// One number for a (program, version) pair, for dictionaries keyed by both.
package func programVersionKey(_ program: UInt32, _ version: UInt32) -> UInt64 {
    UInt64(program) << 32 | UInt64(version)
}

/// Per-call options.
public struct CallOptions: Sendable, Hashable {
    /// How long the caller waits for the reply; nil uses the transport's default.
    public var timeout: Duration?

    public init(timeout: Duration? = nil) {
        self.timeout = timeout
    }

    public static let defaults = CallOptions()
}

/// Carries one call's XDR-encoded arguments to a server and brings back the
/// XDR-encoded result. Generated clients are built over a transport; the
/// transport's layout decides how they encode width-dependent values.
public protocol RPCClientTransport: Sendable {
    /// The wire layout the server on the other end expects.
    var layout: WireLayout { get }

    /// Sends a call and waits for its reply.
    nonisolated(nonsending) func call(
        _ procedure: ProcedureID, arguments: [UInt8], options: CallOptions
    ) async throws(RPCError) -> [UInt8]

    /// What generated clients do with bytes after a complete result
    /// (``TrailingBytesPolicy/ignore`` unless the transport says otherwise).
    var trailingBytes: TrailingBytesPolicy { get }

    /// Told of a reply whose result was followed by `count` ignored bytes,
    /// so that the transport can count them.
    func ignoredTrailingBytes(_ count: Int, after procedure: ProcedureID)
}

extension RPCClientTransport {
    public var trailingBytes: TrailingBytesPolicy { .ignore }

    public func ignoredTrailingBytes(_ count: Int, after procedure: ProcedureID) {}
}

/// What a server knows about a call besides its arguments.
public struct RPCCallContext: Sendable {
    /// The layout of the endpoint the call arrived on.
    public var layout: WireLayout
    /// Who sent the call, as the kernel reports it (docs/security.md).
    public var peer: RPCPeer
    /// The AUTH_SYS credentials of the caller, if it sent any: what the
    /// client wrote, so never a basis for an access decision (use ``peer``).
    public var credentials: UnixCredentials?
    /// The thread that reads the connection the call arrived on, as a task
    /// executor (nil when no transport gave one). A transport client made on
    /// it reads its replies on that same thread.
    public var executor: (any TaskExecutor)?

    public init(
        layout: WireLayout, peer: RPCPeer = .unknown, credentials: UnixCredentials? = nil,
        executor: (any TaskExecutor)? = nil
    ) {
        self.layout = layout
        self.peer = peer
        self.credentials = credentials
        self.executor = executor
    }
}

/// AUTH_SYS credentials (RFC 5531 appendix A).
public struct UnixCredentials: Sendable, Hashable {
    public var stamp: UInt32
    public var machineName: String
    public var uid: UInt32
    public var gid: UInt32
    public var gids: [UInt32]

    public init(stamp: UInt32 = 0, machineName: String, uid: UInt32, gid: UInt32, gids: [UInt32] = []) {
        self.stamp = stamp
        self.machineName = machineName
        self.uid = uid
        self.gid = gid
        self.gids = gids
    }
}

/// One program version served on encoded bytes. Code generation makes one
/// for every server protocol; servers and the broker dispatch through it.
public protocol RPCServiceDispatcher: Sendable {
    var program: UInt32 { get }
    var version: UInt32 { get }

    /// Decodes the arguments, runs the procedure and encodes its result.
    ///
    /// Throws `.procedureUnavailable` for an unknown procedure,
    /// `.garbageArguments` when the arguments do not decode, and
    /// `.systemError` when the handler fails.
    nonisolated(nonsending) func dispatch(
        procedure: UInt32, arguments: [UInt8], context: RPCCallContext
    ) async throws(RPCError) -> [UInt8]
}

/// Serves calls to any program and version on encoded bytes: the broker
/// routes every call this way. A server hands it the calls to programs that
/// none of its ``RPCServiceDispatcher``s serves, procedure 0 included, and
/// leaves logging their failures to it.
public protocol RPCCallRouter: Sendable {
    /// Handles one call and returns its encoded result.
    ///
    /// Throws `.programUnavailable`, `.programMismatch` (with
    /// ``RPCError/supportedVersions``), `.procedureUnavailable`,
    /// `.garbageArguments` or any other code (SYSTEM_ERR) for the matching
    /// ONC RPC reply.
    nonisolated(nonsending) func route(
        _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext
    ) async throws(RPCError) -> [UInt8]

    /// The executor a call's task should prefer once it first suspends — the
    /// thread that reads the reply it waits for, such as the call's
    /// ``RPCCallContext/executor`` — so that it resumes there without another
    /// thread switch; nil (the default) for none.
    func preferredExecutor(for procedure: ProcedureID, context: RPCCallContext) -> (any TaskExecutor)?
}

/// A router that can also answer a call through a completion handler, with
/// no task per call: a server of this package hands such a router its calls
/// this way (the broker forwards most calls without a task, a continuation or
/// a job on the loop, which cost more than a thread switch does here).
package protocol RPCCompletionRouter: RPCCallRouter {
    /// Routes one call as ``route(_:arguments:context:)`` does, and calls
    /// `completion` once with its result or error, on any thread.
    func route(
        _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext,
        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void)
}

extension RPCCallRouter {
    public func preferredExecutor(for procedure: ProcedureID, context: RPCCallContext) -> (any TaskExecutor)? { nil }
}
