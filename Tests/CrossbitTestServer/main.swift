import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Logging

// The sample interface's one Swift service (CrossbitTestSupport's SampleService) in a process of its own:
// for tests that need a Swift server executable, as the broker starts one on demand. It serves the LP64
// layout at CROSSBIT_LISTEN (set by the broker) or its argument. A failure at start ends it at top level,
// with Swift's backtrace: ActivationFailureTests checks what the broker's log keeps of it. SIGTERM (the broker
// stopping an idle server) ends it at once, which is all a test server needs (the examples shut down gracefully).

guard let address = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["CROSSBIT_LISTEN"]
else {
    FileHandle.standardError.write(Data("usage: crossbit-test-server ADDRESS (or set CROSSBIT_LISTEN)\n".utf8))
    exit(2)
}
signal(SIGPIPE, SIG_IGN)
let server = RPCServer(
    services: [SampleService.dispatcher()],
    endpoints: [try ServerEndpoint(address: try RPCAddress(parsing: address), layout: .lp64)],
    logger: Logger(label: "crossbit-test-server"))
print("crossbit-test-server: serving lp64 at \(address)")
try await server.run()
