public import CrossbitCore
public import CrossbitTransport

/// How a Swift server makes itself known to a broker (`crossbitd`) at run
/// time, through the broker's control program:
///
/// ```swift
/// let bound = try await server.listeningEndpoints[0]
/// try await BrokerRegistration.register(
///     program: 0x20001001, version: 1, at: bound, withBroker: .unix(path: "/run/crossbit/control.sock"))
/// ```
public enum BrokerRegistration {
    /// Routes calls to `program`/`version` through the broker to `endpoint`
    /// (an endpoint of this server as bound, with its layout), replacing a
    /// previous route. Throws when the broker refuses (no IDL of the program
    /// loaded, a bad address: `.invalidArgument`; a caller or route it may
    /// not change: `.authenticationError`) or cannot be reached. Only a
    /// unix-socket endpoint of the broker takes registrations (docs/security.md).
    public static func register(
        program: UInt32, version: UInt32, at endpoint: ServerEndpoint, withBroker broker: RPCAddress,
        options: CallOptions = .defaults
    ) async throws(RPCError) {
        let route = BrokerControl.BrokerRoute(
            prog: program, vers: version, layout: .init(endpoint.layout), address: endpoint.address.description)
        try check(try await client(broker).register(route, options: options))
    }

    /// Removes the broker's route of `program`/`version`.
    public static func unregister(
        program: UInt32, version: UInt32, withBroker broker: RPCAddress, options: CallOptions = .defaults
    ) async throws(RPCError) {
        let key = BrokerControl.BrokerRouteKey(prog: program, vers: version)
        try check(try await client(broker).unregister(key, options: options))
    }

    /// A client of the broker's control program (its types have no
    /// width-dependent part, so either layout will do).
    public static func client(
        _ broker: RPCAddress
    ) throws(RPCError) -> BrokerControl.CrossbitBrokerV1Client<RPCClient> {
        BrokerControl.CrossbitBrokerV1Client(transport: try RPCClient(address: broker, layout: .native))
    }

    private static func check(_ reply: BrokerControl.BrokerReply) throws(RPCError) {
        guard reply.status == .ok else {
            let code: RPCError.Code = reply.status == .errDenied ? .authenticationError : .invalidArgument
            throw RPCError(code: code, message: "the broker refused: \(reply.status): \(reply.message)")
        }
    }
}
