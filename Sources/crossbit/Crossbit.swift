public import ArgumentParser
import CrossbitBrokerControl
import CrossbitCore
import CrossbitTransport
import Foundation

/// The Crossbit command-line client: calls any procedure of an IDL with
/// JSON arguments, and pings and lists a broker.
///
/// Exit status: 0 on success, 1 when the call fails (transport, timeout,
/// an ONC RPC error reply, an undecodable result), 2 for bad usage, IDL or
/// JSON (the message names the field).
@main
struct Crossbit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossbit",
        abstract: "Call ONC RPC servers and the Crossbit broker with JSON, in the ILP32 or LP64 layout.",
        subcommands: [Call.self, Ping.self, List.self, Register.self, Unregister.self])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            printError("crossbit: \(failure.message)")
            Foundation.exit(failure.status)
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(Failure.usageStatus)
            }
            exit(withError: error)
        }
    }
}

/// A failure with its message and exit status.
struct Failure: Error {
    static let callStatus: Int32 = 1
    static let usageStatus: Int32 = 2

    var message: String
    var status: Int32

    /// A failed call (status 1); an RPC error about bad input to the client is usage (status 2).
    static func call(_ error: RPCError) -> Failure {
        Failure(message: error.description, status: error.code == .invalidArgument ? usageStatus : callStatus)
    }

    static func usage(_ message: String) -> Failure { Failure(message: message, status: usageStatus) }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Where and how to reach a server; shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "tcp://HOST:PORT, udp://HOST:PORT, unix:///PATH or rpcbind://HOST.", valueName: "address"))
    var address: String

    @Option(help: ArgumentHelp("How long to wait for the reply.", valueName: "seconds"))
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds") }
    }

    /// A client of the address in `layout`.
    func client(layout: WireLayout) throws(Failure) -> RPCClient {
        do {
            let address = try RPCAddress(parsing: address)
            return try RPCClient(
                address: address, layout: layout,
                options: RPCClient.Options(defaultTimeout: .milliseconds(Int64(timeout * 1000))))
        } catch {
            throw Failure.usage(error.message)
        }
    }
}

extension ConnectionOptions {
    /// The layout of the broker endpoint at the address, from its control
    /// program's BROKER_LAYOUT: what `crossbit call` speaks without --layout.
    func brokerLayout() async throws(Failure) -> WireLayout {
        let client = try client(layout: .native)
        defer { client.close() }
        do {
            return try await BrokerControl.CrossbitBrokerV1Client(transport: client).layout().wireLayout
        } catch {
            throw Failure(
                message: "cannot ask \(address) for its layout (\(error)): give --layout ilp32 or --layout lp64 "
                    + "(only a Crossbit broker endpoint answers it)",
                status: Failure.callStatus)
        }
    }
}

extension WireLayout: ExpressibleByArgument {}
