import CrossbitBroker
import CrossbitCore
import CrossbitIDL
import CrossbitTestSupport
import Logging
import Testing

/// The exact text of the broker's configuration errors a newcomer meets
/// first: unknown names get a close match and the known names, numbers come
/// back as they were written, and a missing --idl is named.
@Suite struct MessageTests {
    private static func error(idl: [String], route: String) -> String {
        do {
            let configuration = try BrokerConfiguration(
                file: nil, idl: idl, listen: ["ilp32=tcp://127.0.0.1:0"], route: [route], rpcbind: nil, logLevel: nil)
            _ = try Broker(configuration: configuration, logger: Logger(label: "test"))
            return "no error"
        } catch {
            return error.message
        }
    }

    @Test(
        "route errors: exact text",
        arguments: [
            (
                [String](), "HELLO_PROG:1=lp64@tcp://127.0.0.1:1",
                "route HELLO_PROG:1=lp64@tcp://127.0.0.1:1: no IDL loaded: give it with --idl "
                    + "(or idl = in the config file)"
            ),
            (
                [Paths.testIDL], "BROKER_TESTT:1=lp64@tcp://127.0.0.1:1",
                "route BROKER_TESTT:1=lp64@tcp://127.0.0.1:1: no loaded IDL defines a program named 'BROKER_TESTT' "
                    + "(did you mean 'BROKER_TEST'?); known programs: BROKER_TEST (0x20001099)"
            ),
            (
                [Paths.testIDL], "NOPE:1=lp64@tcp://127.0.0.1:1",
                "route NOPE:1=lp64@tcp://127.0.0.1:1: no loaded IDL defines a program named 'NOPE'; "
                    + "known programs: BROKER_TEST (0x20001099)"
            ),
            (
                [Paths.testIDL], "0x20000999:1=lp64@tcp://127.0.0.1:1",
                "route 0x20000999:1=lp64@tcp://127.0.0.1:1: no loaded IDL defines program 0x20000999: give its .x file "
                    + "with --idl; known programs: BROKER_TEST (0x20001099)"
            ),
            (
                [Paths.testIDL], "BROKER_TEST:BROKER_TEST_V2=lp64@tcp://127.0.0.1:1",
                "route BROKER_TEST:BROKER_TEST_V2=lp64@tcp://127.0.0.1:1: program BROKER_TEST has no version named "
                    + "'BROKER_TEST_V2' (did you mean 'BROKER_TEST_V1'?); known versions: BROKER_TEST_V1 (1)"
            ),
            (
                [Paths.testIDL], "0x20001099:0x7=lp64@tcp://127.0.0.1:1",
                "route 0x20001099:0x7=lp64@tcp://127.0.0.1:1: program BROKER_TEST has no version 0x7; "
                    + "known versions: BROKER_TEST_V1 (1)"
            ),
        ])
    func routeErrors(idl: [String], route: String, message: String) {
        #expect(Self.error(idl: idl, route: route) == message)
    }

    @Test("close matches: one edit in three characters, ignoring case; none for unrelated names")
    func closeMatches() {
        #expect(CloseMatch.suggestion(for: "strng", among: ["int", "string", "opaque"]) == "string")
        #expect(CloseMatch.suggestion(for: "hello_prog", among: ["HELLO_PROG"]) == "HELLO_PROG")
        #expect(CloseMatch.suggestion(for: "NOPE", among: ["BROKER_TEST"]) == nil)
        #expect(CloseMatch.suggestion(for: "x", among: ["y", "xx"]) == "y")
        #expect(CloseMatch.didYouMean("HELO", among: ["HELLO"]) == " (did you mean 'HELLO'?)")
    }
}
