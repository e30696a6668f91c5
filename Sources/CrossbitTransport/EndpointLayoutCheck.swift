import CrossbitCore
import Synchronization

extension RPCClient {
    /// BROKER_LAYOUT of the broker's control program (IDL/crossbit_broker.x,
    /// program CROSSBIT_BROKER version 1, procedure 5): the layout of the
    /// endpoint it is called on. The transport cannot import the broker's
    /// generated stubs; a broker test checks these numbers against them.
    static let endpointLayoutProcedure = ProcedureID(program: 0x2000_1000, version: 1, procedure: 5)

    /// Whether the endpoint layout check has passed.
    var layoutChecked: Bool {
        layoutCheck.withLock { if case .success? = $0 { true } else { false } }
    }

    /// Asks the endpoint its layout once; a mismatch fails this call and
    /// every later one. A failure to ask (not a broker, not reachable) fails
    /// this call only, saying why, and the next call asks again.
    nonisolated(nonsending) func checkEndpointLayout() async throws(RPCError) {
        if let known = layoutCheck.withLock({ $0 }) { return try known.get() }
        let reply: [UInt8]
        do {
            reply = try await send(Self.endpointLayoutProcedure, arguments: [], options: .defaults)
        } catch {
            var failure = error
            failure.message =
                "cannot check the layout of \(address) (checksEndpointLayout needs a Crossbit broker "
                + "endpoint, tcp:// or unix://): \(error.message)"
            throw failure
        }
        let outcome = Self.layoutCheckOutcome(reply, client: layout, address: address)
        layoutCheck.withLock { $0 = outcome }
        try outcome.get()
    }

    /// Success when the BROKER_LAYOUT reply names `client`'s layout.
    static func layoutCheckOutcome(
        _ reply: [UInt8], client: WireLayout, address: RPCAddress
    ) -> Result<Void, RPCError> {
        let value: Int32
        do {
            value = try XDRReader.decodeWhole(reply, layout: client) { reader throws(XDRError) in
                try reader.readInt32()
            }
        } catch {
            return .failure(RPCError(error, code: .decodingFailed, context: "the layout \(address) answered"))
        }
        guard let endpoint: WireLayout = value == 0 ? .ilp32 : value == 1 ? .lp64 : nil else {
            return .failure(RPCError(code: .decodingFailed, message: "\(address) answered an unknown layout \(value)"))
        }
        guard endpoint == client else {
            let mismatch = LayoutMismatch(client: client, endpoint: endpoint)
            return .failure(
                RPCError(
                    code: .layoutMismatch,
                    message: "\(address) is an \(endpoint) endpoint, but this client speaks \(client): make the client "
                        + "with layout: .\(endpoint), or call the broker's \(client) endpoint",
                    cause: mismatch))
        }
        return .success(())
    }
}
