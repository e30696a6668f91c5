import CrossbitCore
import CrossbitTestSupport
import Foundation
import Testing

/// A broker killed with SIGKILL cannot unregister from rpcbind; the next
/// broker of the same programs must replace what it left.
@Suite("stale rpcbind entries", .serialized, .timeLimit(.minutes(2)))
struct StaleRegistrationTests {
    /// A program of this test alone: rpcbind is shared by every suite on the machine.
    static let program: UInt32 = 0x2000_14AE

    /// The rpcbind lines (`rpcinfo -p`) of the test's program.
    static func entries() async throws -> [String] {
        let table = try await runTool("/usr/sbin/rpcinfo", ["-p", "127.0.0.1"]).output
        return table.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("\(program) ") }
    }

    @Test(
        "a broker started after one was killed with SIGKILL points the rpcbind entries at itself",
        .enabled { await BrokerProcessTests.rpcbindRuns })
    func replacesStaleEntries() async throws {
        let directory = try Paths.temporaryDirectory("stale").path
        try "program STALE_PROG { version STALE_V1 { int STALE_ADD(int) = 1; } = 1; } = \(Self.program);\n"
            .write(toFile: directory + "/stale.x", atomically: true, encoding: .utf8)
        let arguments = [
            "--idl", directory + "/stale.x", "--listen", "ilp32=tcp://127.0.0.1:0", "--rpcbind", "ilp32",
            "--route", "STALE_PROG:1=lp64@tcp://127.0.0.1:1",
        ]
        let first = try await Daemon.start(arguments)
        first.process.kill(SIGKILL)
        _ = await first.process.stop()
        let stale = try await Self.entries()
        #expect(stale == ["\(Self.program)    1   tcp  \(String(first.port(.ilp32)).leftPadded(5))"], "\(stale)")
        try await withDaemon(arguments) { second in
            let replaced = try await Self.entries()
            #expect(
                replaced == ["\(Self.program)    1   tcp  \(String(second.port(.ilp32)).leftPadded(5))"],
                "\(replaced)\n\(second.log)")
        }
        #expect(try await Self.entries().isEmpty)
    }
}
