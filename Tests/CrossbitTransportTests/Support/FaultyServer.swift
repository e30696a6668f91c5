import CrossbitCore
import CrossbitTestSupport
import Foundation

/// A real server process that misbehaves on purpose: it accepts on a unix socket, reads one call record, and
/// then answers as its mode says. Built once per test run with gcc (64-bit; no libtirpc: it speaks raw bytes).
enum FaultyServer {
    enum Mode: String, CaseIterable, Sendable {
        /// Never answers, keeps the connection open.
        case silent
        /// A record with the call's xid and then bytes that are no reply (message type 7).
        case garbage
        /// A well-formed success reply to another xid, then nothing.
        case wrongXID = "wrong-xid"
        /// The first half of a reply record, then the connection closes.
        case halfRecord = "half-record"
    }

    static let source = #"""
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <unistd.h>

        static void check(int ok, const char *what) { if (!ok) { perror(what); exit(1); } }
        static void put(int fd, const uint8_t *bytes, size_t count) {
            check(write(fd, bytes, count) == (ssize_t)count, "write");
        }

        int main(int argc, char **argv) {
            if (argc != 3) { fprintf(stderr, "usage: faulty MODE PATH\n"); return 2; }
            const char *mode = argv[1];
            int listener = socket(AF_UNIX, SOCK_STREAM, 0);
            check(listener >= 0, "socket");
            struct sockaddr_un address = {.sun_family = AF_UNIX};
            strncpy(address.sun_path, argv[2], sizeof address.sun_path - 1);
            unlink(argv[2]);
            check(bind(listener, (struct sockaddr *)&address, sizeof address) == 0, "bind");
            check(listen(listener, 4) == 0, "listen");
            printf("READY\n");
            fflush(stdout);
            int fd = accept(listener, NULL, NULL);
            check(fd >= 0, "accept");
            uint8_t call[4096];
            ssize_t got = read(fd, call, sizeof call);
            check(got >= 8, "read");
            uint8_t xid[4] = {call[4], call[5], call[6], call[7]};
            if (strcmp(mode, "garbage") == 0) {
                uint8_t reply[] = {0x80, 0, 0, 16, xid[0], xid[1], xid[2], xid[3], 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef,
                                   0xde, 0xad, 0xbe, 0xef};
                put(fd, reply, sizeof reply);
            } else if (strcmp(mode, "wrong-xid") == 0) {
                uint8_t reply[] = {0x80, 0, 0, 28, xid[0] ^ 0xff, xid[1], xid[2], xid[3], 0, 0, 0, 1, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
                put(fd, reply, sizeof reply);
            } else if (strcmp(mode, "half-record") == 0) {
                uint8_t reply[] = {0x80, 0, 0, 28, xid[0], xid[1], xid[2], xid[3], 0, 0, 0, 1, 0, 0, 0, 0};
                put(fd, reply, sizeof reply);
                close(fd);
            } else if (strcmp(mode, "silent") != 0) {
                fprintf(stderr, "unknown mode %s\n", mode);
                return 2;
            }
            pause();
            return 0;
        }
        """#

    /// The built server's path (compiled once per test run).
    static func build() async throws -> String { try await built.value }

    private static let built = Task {
        let directory = try Paths.temporaryDirectory("faulty").path
        try source.write(toFile: "\(directory)/faulty.c", atomically: true, encoding: .utf8)
        try await runTool(
            "/usr/bin/gcc", ["-O1", "-Wall", "-Werror", "-o", "\(directory)/faulty", "\(directory)/faulty.c"])
        return "\(directory)/faulty"
    }
}
