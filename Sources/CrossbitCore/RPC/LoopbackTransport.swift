/// A client transport that hands each call straight to a dispatcher in the
/// same process, as if it had arrived on an endpoint of `layout`: the same
/// bytes as over ONC RPC, without sockets. For tests and for in-process
/// services.
public struct LoopbackTransport<Dispatcher: RPCServiceDispatcher>: RPCClientTransport {
    public let layout: WireLayout
    public let dispatcher: Dispatcher

    public init(layout: WireLayout, dispatcher: Dispatcher) {
        self.layout = layout
        self.dispatcher = dispatcher
    }

    nonisolated(nonsending) public func call(
        _ procedure: ProcedureID, arguments: [UInt8], options: CallOptions
    ) async throws(RPCError) -> [UInt8] {
        guard procedure.program == dispatcher.program else {
            throw RPCError(code: .programUnavailable, message: "program \(procedure.program) is not served here")
        }
        guard procedure.version == dispatcher.version else {
            throw RPCError(code: .programMismatch, message: "version \(procedure.version) is not served here")
        }
        return try await dispatcher.dispatch(
            procedure: procedure.procedure, arguments: arguments, context: RPCCallContext(layout: layout))
    }
}
