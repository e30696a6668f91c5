public import ArgumentParser
import CrossbitBrokerControl
import CrossbitCommandLine
import CrossbitCore
import CrossbitTransport

/// The Crossbit command-line client: calls any procedure of an IDL with
/// JSON arguments, and pings and lists a broker.
///
/// Exit status (``CrossbitCommand``): 0 on success, 1 when the call fails
/// (transport, timeout, an ONC RPC error reply, an undecodable result: an
/// `RPCError` or a ``CallFailure``), 2 for bad usage, IDL or JSON (a
/// `RuntimeError`; the message names the field).
@main
struct Crossbit: CrossbitCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossbit",
        abstract: "Call ONC RPC servers and the Crossbit broker with JSON, in the ILP32 or LP64 layout.",
        subcommands: [Call.self, Ping.self, List.self, Register.self, Unregister.self])

    /// Messages read "crossbit: no procedure 'X' in …" (docs/json-mapping.md).
    static var _errorPrefix: String { "crossbit: " }
}

/// A call that failed, told in the words of the command that made it
/// (exit status 1): a question the server would not answer, or a broker's
/// refusal. A plain failed call is thrown as its `RPCError`.
struct CallFailure: Error, CustomStringConvertible {
    var description: String
}

extension RuntimeError {
    /// Bad usage, IDL or JSON: exit status 2.
    static func usage(_ message: String) -> RuntimeError {
        RuntimeError(code: .invalidArgument, message: message)
    }
}

/// Where and how to reach a server; shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "tcp://HOST:PORT, udp://HOST:PORT, unix:///PATH or rpcbind://HOST.", valueName: "address"))
    var address: String

    @Option(help: ArgumentHelp("How long to wait for the reply.", valueName: "seconds"))
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds") }
    }

    /// A client of the address in `layout`.
    func client(layout: WireLayout) throws(RuntimeError) -> RPCClient {
        do {
            let address = try RPCAddress(parsing: address)
            return try RPCClient(
                address: address, layout: layout,
                options: RPCClient.Options(defaultTimeout: .milliseconds(Int64(timeout * 1000))))
        } catch {
            throw .usage(error.message)
        }
    }
}

extension ConnectionOptions {
    /// The layout of the broker endpoint at the address, from its control
    /// program's BROKER_LAYOUT: what `crossbit call` speaks without --layout.
    func brokerLayout() async throws -> WireLayout {
        let client = try client(layout: .native)
        defer { client.close() }
        do {
            return try await BrokerControl.CrossbitBrokerV1Client(transport: client).layout().wireLayout
        } catch {
            throw CallFailure(
                description: "cannot ask \(address) for its layout (\(error)): give --layout ilp32 or --layout lp64 "
                    + "(only a Crossbit broker endpoint answers it)")
        }
    }
}

extension WireLayout: ExpressibleByArgument {}
