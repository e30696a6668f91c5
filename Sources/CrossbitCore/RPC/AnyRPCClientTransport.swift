/// A client transport whose type is chosen at run time, for generated
/// clients: `SampleV1Client(transport: AnyRPCClientTransport(transport))`.
/// (An `any RPCClientTransport` does not itself conform to the protocol.)
public struct AnyRPCClientTransport: RPCClientTransport {
    public let base: any RPCClientTransport

    public init(_ base: any RPCClientTransport) {
        self.base = base
    }

    public var layout: WireLayout { base.layout }

    public var trailingBytes: TrailingBytesPolicy { base.trailingBytes }

    public func ignoredTrailingBytes(_ count: Int, after procedure: ProcedureID) {
        base.ignoredTrailingBytes(count, after: procedure)
    }

    nonisolated(nonsending) public func call(
        _ procedure: ProcedureID, arguments: [UInt8], options: CallOptions
    ) async throws(RPCError) -> [UInt8] {
        try await base.call(procedure, arguments: arguments, options: options)
    }
}
