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
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crossbit-activation-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let idl = "\(directory)/acttest-crossbit.x"
        try interface.write(toFile: idl, atomically: true, encoding: .utf8)
        let lowered = try await runTool(try CPeers.crossbitIDL(), ["rpcl", "--layout", "ilp32", idl])
        try lowered.output.write(toFile: "\(directory)/acttest.x", atomically: true, encoding: .utf8)
        try implementation.write(toFile: "\(directory)/impl.c", atomically: true, encoding: .utf8)
        for (flag, output) in [("-h", "acttest.h"), ("-c", "acttest_xdr.c"), ("-s", "acttest_svc.c")] {
            let arguments = flag == "-s" ? ["-s", "tcp"] : [flag]
            try await runTool("/usr/bin/rpcgen", arguments + ["-o", "\(directory)/\(output)", "\(directory)/acttest.x"])
        }
        let server = "\(directory)/acttest_server32"
        try await runTool("/usr/bin/gcc", [
            "-m32", "-w", "-I/usr/include/tirpc", "-I\(directory)", "-o", server,
            "\(directory)/impl.c", "\(directory)/acttest_svc.c", "\(directory)/acttest_xdr.c", "-ltirpc",
        ])
        return (idl, server)
    }
}
