import CrossbitCore
import CrossbitTestSupport
import CrossbitTransport
import Foundation
import Testing

/// An activated server that dies at start: the broker's log shows its last
/// error line and names the file with its whole output (a Swift server's
/// backtrace), instead of a hundred lines of backtrace.
@Suite("an activated server's failure", .serialized, .timeLimit(.minutes(2)))
struct ActivationFailureTests {
    static let sample = ProcedureID(program: 0x2000_1001, version: 1, procedure: 0)

    @Test("a server whose port is taken: its last error line in the log, its output in the file the log names")
    func serverDiesAtStart() async throws {
        let server = try Paths.product("crossbit-test-server")
        // The port is taken by a server of another program, so the broker's readiness check finds no sample there.
        let busy = BrokerTest.BrokerTestV1Dispatcher(service: BrokerTestService())
        try await withSwiftServer([busy]) { (taken: RPCAddress) async throws in
            let daemon = try await Daemon.start([
                "--idl", Paths.sampleIDL, "--listen", "lp64=tcp://127.0.0.1:0",
                "--route", "CROSSBIT_SAMPLE:1=@\(taken)", "--exec", "CROSSBIT_SAMPLE:1=\(server)",
            ])
            defer { daemon.process.kill(SIGKILL) }
            let client = try RPCClient(address: daemon.address(.lp64), layout: .lp64)
            defer { client.close() }
            await #expect(throws: RPCError.self) {
                _ = try await client.call(Self.sample, arguments: [], options: .defaults)
            }
            let line = try await daemon.process.line(containing: "exited unexpectedly")
            let marker =
                "Fatal error: Error raised at top level: transport failure: cannot listen on "
                + "\(taken.hostPort): Address already in use; its whole output is in "
            #expect(line.contains(marker), "\(line)")
            let path = line.components(separatedBy: marker).last?.components(separatedBy: ";").first ?? ""
            #expect(path.hasPrefix("/") && path.hasSuffix(".log"), "\(line)")
            let output = try String(contentsOfFile: path, encoding: .utf8)
            #expect(output.contains("cannot listen on \(taken.hostPort): Address already in use"), "\(output)")
            // The backtrace stays in the file: the log holds none of its frames.
            #expect(!daemon.log.contains("swift_errorInMain"), "\(daemon.log)")
            #expect(await daemon.process.stop() == 0, "\(daemon.log)")
            try FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
    }
}

extension RPCAddress {
    /// `HOST:PORT` of a TCP address.
    var hostPort: String {
        if case .tcp(let host, let port) = self { return "\(host):\(port)" }
        return description
    }
}
