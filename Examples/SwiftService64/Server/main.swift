import CrossbitCore
import CrossbitTransport
import Foundation
import Logging

// A 64-bit Swift service. It serves the LP64 layout at the address in
// CROSSBIT_LISTEN (the broker sets it when it starts the server on demand)
// or given as its argument, e.g. `probe-server unix:///tmp/probe.sock`.

final class ProbeService: Probe.ProbeV1Service {
    func describe(_ values: Probe.ProbeValues, context: RPCCallContext) async throws -> String {
        "size=\(values.size) handle=\(values.handle) (\(Int(bitPattern: values.handle.rawValue))) "
            + "offset=\(values.offset) [received by a 64-bit Swift server in the \(context.layout) layout]"
    }

    func triple(_ size: UInt, context: RPCCallContext) async throws -> UInt { size &* 3 }

    func newHandle(context: RPCCallContext) async throws -> Handle { Handle(0x0000_7F00_8000_0010) }
}

let address = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["CROSSBIT_LISTEN"]
guard let address else {
    FileHandle.standardError.write(Data("usage: probe-server ADDRESS (or set CROSSBIT_LISTEN)\n".utf8))
    exit(2)
}
signal(SIGPIPE, SIG_IGN)
let logger = Logger(label: "probe-server")
let server = RPCServer(
    services: [Probe.ProbeV1Dispatcher(service: ProbeService())],
    endpoints: [try ServerEndpoint(address: try RPCAddress(parsing: address), layout: .lp64)], logger: logger)
// SIGTERM (the broker stopping an idle server) ends the server gracefully.
let termination = DispatchSource.makeSignalSource(signal: SIGTERM)
signal(SIGTERM, SIG_IGN)
termination.setEventHandler { server.shutdown() }
termination.resume()
print("probe-server: serving lp64 at \(address)")
try await server.run()
