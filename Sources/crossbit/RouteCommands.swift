import ArgumentParser
import CrossbitBrokerControl
import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import CrossbitTransport

/// `crossbit register`: adds or replaces a broker route at run time, as a
/// server does with `BrokerRegistration` (over a unix endpoint of the broker:
/// docs/security.md says who may).
struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Route a program version through a broker to a server (over the broker's unix endpoint).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("PROGRAM:VERSION as numbers (decimal or 0x hex).", valueName: "program:version"))
    var key: String

    @Argument(
        help: ArgumentHelp(
            "The server: its layout and address, e.g. lp64@tcp://127.0.0.1:7100 or ilp32@unix:///run/legacy.sock.",
            valueName: "layout@address"))
    var server: String

    func run() async throws {
        let (program, version) = try routeKey(key)
        guard let at = server.firstIndex(of: "@"), let layout = WireLayout(rawValue: String(server[..<at])) else {
            throw RuntimeError.usage(
                "'\(server)' is not LAYOUT@ADDRESS (ilp32 or lp64, then @ and the server's address)")
        }
        let route = BrokerControl.BrokerRoute(
            prog: program, vers: version, layout: .init(layout), address: String(server[server.index(after: at)...]))
        try await printAnswer(connection) { try await $0.register(route) }
    }
}

/// `crossbit unregister`: removes a route registered at run time.
struct Unregister: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a route registered at run time from a broker (over the broker's unix endpoint).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("PROGRAM:VERSION as numbers (decimal or 0x hex).", valueName: "program:version"))
    var key: String

    func run() async throws {
        let (program, version) = try routeKey(key)
        let key = BrokerControl.BrokerRouteKey(prog: program, vers: version)
        try await printAnswer(connection) { try await $0.unregister(key) }
    }
}

/// Parses `PROGRAM:VERSION`.
private func routeKey(_ text: String) throws(RuntimeError) -> (UInt32, UInt32) {
    let key = try programVersion(text, separator: ":")
    return (key.program, key.version)
}

/// Parses PROGRAM, `separator`, VERSION, each a decimal or `0x` number; also
/// gives them as written, for messages that echo the user's spelling.
func programVersion(
    _ text: String, separator: Character
) throws(RuntimeError) -> (program: UInt32, version: UInt32, written: [String]) {
    let parts = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2, let program = IntegerLiteral.parse(parts[0]).flatMap(UInt32.init(exactly:)),
        let version = IntegerLiteral.parse(parts[1]).flatMap(UInt32.init(exactly:))
    else { throw RuntimeError.usage("'\(text)' is not PROGRAM\(separator)VERSION (numbers)") }
    return (program, version, parts)
}

/// Makes a control call and prints the broker's answer; a refusal is a failure (exit status 1).
private func printAnswer(
    _ connection: ConnectionOptions,
    _ call: (BrokerControl.CrossbitBrokerV1Client<RPCClient>) async throws -> BrokerControl.BrokerReply
) async throws {
    let client = try connection.client(layout: .native)
    defer { client.close() }
    let reply = try await call(BrokerControl.CrossbitBrokerV1Client(transport: client))
    guard reply.status == .ok else { throw CallFailure(description: "\(reply.status): \(reply.message)") }
    print(reply.message)
}
