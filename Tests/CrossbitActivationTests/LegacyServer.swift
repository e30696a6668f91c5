import CrossbitCore
import CrossbitTestSupport
import Foundation

/// A 32-bit rpcgen-built server with rpcgen's own `main`, which registers
/// with rpcbind: the kind of legacy helper the broker activates.
enum LegacyServer {
    static let program: UInt32 = 0x2C0B_00A1
    static let version: UInt32 = 1

    enum Procedure: UInt32 {
        case echoSize = 1, pid, describe
    }

    static let interface = """
        program ACTTEST {
            version ACTTEST_V1 {
                size_t ECHO_SIZE(size_t) = 1;
                int PID(void) = 2;
                string DESCRIBE(handle_t) = 3;
            } = 1;
        } = 0x2C0B00A1;
        """

    static let implementation = #"""
        #include "acttest.h"
        #include <stdio.h>
        #include <unistd.h>
        u_int *echo_size_1_svc(u_int *size, struct svc_req *r) { static u_int res; res = *size; return &res; }
        int *pid_1_svc(void *v, struct svc_req *r) { static int res; res = getpid(); return &res; }
        char **describe_1_svc(u_int *handle, struct svc_req *r) {
            static char buf[64]; static char *res = buf;
            snprintf(buf, sizeof buf, "handle=%d sizeof(long)=%d", (int)*handle, (int)sizeof(long));
            return &res;
        }
        """#

    /// Builds the server once per test run: the IDL file and the i386 executable.
    static func build() async throws -> (idl: String, server: String) {
        try await built.value
    }

    private static let built = Task {
        let directory = try Paths.temporaryDirectory("activation").path
        let idl = "\(directory)/acttest-crossbit.x"
        try interface.write(toFile: idl, atomically: true, encoding: .utf8)
        let lowered = try await runTool(try Paths.product("crossbit-idl"), ["rpcl", "--layout", "ilp32", idl])
        try lowered.output.write(toFile: "\(directory)/acttest.x", atomically: true, encoding: .utf8)
        try implementation.write(toFile: "\(directory)/impl.c", atomically: true, encoding: .utf8)
        try await RPCGen.generate("acttest", in: directory, server: .main(transport: "tcp"))
        let server = "\(directory)/acttest_server32"
        try await RPCGen.compile(
            ["impl.c", "acttest_svc.c", "acttest_xdr.c"], layout: .ilp32, in: directory, flags: ["-w"], output: server)
        return (idl, server)
    }
}
