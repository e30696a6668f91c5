/// The one pair of rpcgen-built C peers of `IDL/crossbit_sample.x`, compiled
/// from the RPCL that `crossbit-idl rpcl --layout` lowers it to (`rpcgen -N`).
/// `SAMPLE_LP64` is defined for the LP64 build.
///
/// Both the C and the Swift server (``SampleService``) implement the same
/// behaviour: echoes return their argument (in LP64, `echo_size(0xFFFFFFFE)`
/// answers 2^32); READ(h, offset, count) returns `len = count` and
/// min(count, 4096) bytes `(offset + i) & 0xFF`; WRITE returns the data's
/// length; OPEN returns case 3 without a deadline, else a resource (handle
/// -1, the kind, length = the name's length, created = the deadline, history
/// the three seconds before it and it, digest = the name's first 16 bytes,
/// shared); ADD adds, wrapping around; GREET returns "Hello, " + its argument.
enum SamplePeerSources {
    static let common = """
        #include "crossbit_sample.h"
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <unistd.h>
        #ifdef SAMPLE_LP64
        typedef u_quad_t WU; typedef quad_t WS;
        #define UMAX 0xFFFFFFFFFFFFFFFFULL
        #define SMIN INT64_MIN
        #define SMAX INT64_MAX
        #else
        typedef u_int WU; typedef int WS;
        #define UMAX 0xFFFFFFFFu
        #define SMIN INT32_MIN
        #define SMAX INT32_MAX
        #endif

        """

    /// Prints `call NAME` for each call (so that tests can count what reached
    /// it); `add(424242, MS)` sleeps MS milliseconds first. Serves TCP on
    /// 127.0.0.1, on the port its one argument names (none or 0: any), without
    /// rpcbind, and prints `READY PORT`.
    static let server =
        common + #"""
            extern void crossbit_sample_1(struct svc_req *, SVCXPRT *);
            int crossbit_sample_1_freeresult(SVCXPRT *x, xdrproc_t p, caddr_t r) { return 1; }
            #define LOG(name) do { printf("call %s\n", name); fflush(stdout); } while (0)
            #define ECHO(name, type, log) \
                type *name##_1_svc(type v, struct svc_req *r) { static type res; LOG(log); res = v; return &res; }
            void *sample_null_1_svc(struct svc_req *r) { static char res; LOG("null"); return &res; }
            WU *sample_echo_size_1_svc(WU v, struct svc_req *r) {
                static WU res; LOG("echo_size"); res = v;
            #ifdef SAMPLE_LP64
                if (v == 0xFFFFFFFEu) res = 1ULL << 32;
            #endif
                return &res;
            }
            ECHO(sample_echo_ssize, WS, "echo_ssize") ECHO(sample_echo_intptr, WS, "echo_intptr")
            ECHO(sample_echo_uintptr, WU, "echo_uintptr") ECHO(sample_echo_handle, WU, "echo_handle")
            ECHO(sample_echo_time, WS, "echo_time") ECHO(sample_echo_widths, sample_widths, "echo_widths")
            ECHO(sample_echo_resource, sample_resource, "echo_resource")
            ECHO(sample_echo_batch, sample_batch, "echo_batch")
            ECHO(sample_echo_list, sample_list, "echo_list") ECHO(sample_echo_result, sample_result, "echo_result")
            ECHO(sample_echo_value, sample_value, "echo_value")
            sample_buffer *sample_read_1_svc(sample_handle h, quad_t offset, WU count, struct svc_req *r) {
                static sample_buffer res; static char data[4096]; LOG("read");
                u_int n = count > sizeof data ? sizeof data : (u_int)count;
                for (u_int i = 0; i < n; i++) data[i] = (char)((offset + i) & 0xFF);
                res.len = count; res.data.data_len = n; res.data.data_val = data;
                return &res;
            }
            WS *sample_write_1_svc(sample_handle h, sample_buffer b, struct svc_req *r) {
                static WS res; LOG("write"); res = b.data.data_len; return &res;
            }
            sample_result *sample_open_1_svc(sample_name name, sample_kind kind, sample_deadline deadline,
                                             struct svc_req *r) {
                static sample_result res; LOG("open");
                memset(&res, 0, sizeof res);
                if (deadline == NULL) { res.status = 3; return &res; }
                sample_resource *o = &res.sample_result_u.resource;
                res.status = 0;
                o->handle = (sample_handle)-1; o->kind = kind; o->length = strlen(name); o->created = *deadline;
                for (int i = 0; i < 4; i++) o->history[i] = *deadline - 3 + i;
                strncpy(o->digest, name, sizeof o->digest);
                o->shared = TRUE;
                return &res;
            }
            int *sample_add_1_svc(int a, int b, struct svc_req *r) {
                static int res; LOG("add");
                if (a == 424242) usleep(b * 1000);
                res = (int)((unsigned)a + (unsigned)b); return &res;
            }
            char **sample_greet_1_svc(char *s, struct svc_req *r) {
                static char buf[512]; static char *res = buf; LOG("greet");
                snprintf(buf, sizeof buf, "Hello, %s", s);
                return &res;
            }

            int main(int argc, char **argv) {
                int sock = socket(AF_INET, SOCK_STREAM, 0);
                int one = 1; setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                struct sockaddr_in addr; memset(&addr, 0, sizeof addr);
                addr.sin_family = AF_INET; addr.sin_port = htons(argc > 1 ? atoi(argv[1]) : 0);
                addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(sock, 64) != 0) {
                    perror("bind"); return 1;
                }
                SVCXPRT *x = svctcp_create(sock, 0, 0);
                if (x == NULL || !svc_register(x, CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, crossbit_sample_1, 0)) {
                    fprintf(stderr, "cannot serve\n"); return 1;
                }
                socklen_t len = sizeof addr; getsockname(sock, (struct sockaddr *)&addr, &len);
                printf("READY %d\n", ntohs(addr.sin_port)); fflush(stdout);
                svc_run();
                return 1;
            }
            """#

    /// Calls every procedure with the layout's limits and checks every result;
    /// prints `PASS what` or `FAIL what` per check and `ALL PASSED` at the end
    /// (exit 0), or `FAILED` (exit 1); a call that fails prints `FAIL what:`
    /// and the RPC error, and exits 1.
    ///
    /// `client HOST PORT` connects with `clnttcp_create`; `client HOST` finds
    /// the server through rpcbind with `clnt_create(HOST, PROG, VERS, "tcp")`,
    /// as a legacy client does. With `--through-broker` last, it also checks
    /// that `echo_size(0xFFFFFFFE)`, which the server answers with 2^32, is a
    /// SYSTEM_ERR from a broker in front of an LP64 server, and that the next
    /// call still works.
    static let client =
        common + #"""
            static int failures = 0;
            #define CHECK(ok, what) do { int ok_ = (ok); printf("%s %s\n", ok_ ? "PASS" : "FAIL", what); \
                fflush(stdout); if (!ok_) failures++; } while (0)
            /* A call that fails ends the run: the rest would only repeat its error. */
            #define CHECKED(res, ok, what) do { if ((res) == NULL) { \
                printf("FAIL %s: %s\n", what, clnt_sperror(c, what)); fflush(stdout); exit(1); } \
                CHECK(ok, what); } while (0)

            static int same_widths(const sample_widths *a, const sample_widths *b) {
                return a->size == b->size && a->offset == b->offset && a->delta == b->delta && a->address == b->address
                    && a->handle == b->handle && a->when == b->when && a->legacy_signed == b->legacy_signed
                    && a->legacy_unsigned == b->legacy_unsigned && a->marker == b->marker && a->wide == b->wide;
            }
            static int same_resource(const sample_resource *a, const sample_resource *b) {
                return a->handle == b->handle && a->kind == b->kind && a->length == b->length
                    && a->created == b->created && memcmp(a->history, b->history, sizeof a->history) == 0
                    && memcmp(a->digest, b->digest, sizeof a->digest) == 0 && a->shared == b->shared;
            }
            static int same_list(sample_list a, sample_list b) {
                for (; a && b; a = a->next, b = b->next) if (a->handle != b->handle || a->weight != b->weight) return 0;
                return a == NULL && b == NULL;
            }

            static CLIENT *connect_to(int argc, char **argv) {
                if (argc < 3 || strcmp(argv[2], "--through-broker") == 0)
                    return clnt_create(argv[1], CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, "tcp");
                struct sockaddr_in sin;
                memset(&sin, 0, sizeof sin);
                sin.sin_family = AF_INET;
                sin.sin_port = htons(atoi(argv[2]));
                inet_pton(AF_INET, argv[1], &sin.sin_addr);
                int sock = RPC_ANYSOCK;
                return clnttcp_create(&sin, CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, &sock, 0, 0);
            }

            static void echo_scalars(CLIENT *c) {
                WU *u = sample_echo_size_1(UMAX, c); CHECKED(u, *u == UMAX, "echo size_t max");
                WS *s = sample_echo_ssize_1(SMIN, c); CHECKED(s, *s == SMIN, "echo ssize_t min");
                s = sample_echo_intptr_1(-1, c); CHECKED(s, *s == -1, "echo intptr_t -1");
                u = sample_echo_uintptr_1(UMAX, c); CHECKED(u, *u == UMAX, "echo uintptr_t max");
                u = sample_echo_handle_1((WU)-1, c); CHECKED(u, *u == (WU)-1, "echo handle_t -1");
                s = sample_echo_time_1(SMAX, c); CHECKED(s, *s == SMAX, "echo time_t max");
            }

            static void echo_compounds(CLIENT *c) {
                sample_widths w = { UMAX, SMIN, -1, UMAX, (WU)-1, SMAX, SMIN, UMAX, 0x12345678, 0xFFFFFFFFFFFFFFFFULL };
                sample_widths *wr = sample_echo_widths_1(w, c); CHECKED(wr, same_widths(wr, &w), "echo widths");

                sample_resource r = {
                    (WU)-1, SAMPLE_WINDOW, UMAX, SMIN, { SMIN, -1, 0, SMAX }, "0123456789abcde", TRUE
                };
                sample_resource *rr = sample_echo_resource_1(r, c); CHECKED(rr, same_resource(rr, &r), "echo resource");

                sample_node second = { 1, SMAX, NULL }, first = { (WU)-1, SMIN, &second };
                WU sizes[3] = { 0, 1, UMAX };
                sample_batch b;
                b.name = "batch"; b.sizes.sizes_len = 3; b.sizes.sizes_val = sizes;
                b.resources.resources_len = 1; b.resources.resources_val = &r;
                b.fixed_deltas[0] = SMIN; b.fixed_deltas[1] = 0; b.fixed_deltas[2] = SMAX;
                b.extra = &w; b.list = &first;
                sample_batch *br = sample_echo_batch_1(b, c);
                CHECKED(br, strcmp(br->name, "batch") == 0 && br->sizes.sizes_len == 3
                      && memcmp(br->sizes.sizes_val, sizes, sizeof sizes) == 0 && br->resources.resources_len == 1
                      && same_resource(br->resources.resources_val, &r)
                      && memcmp(br->fixed_deltas, b.fixed_deltas, sizeof b.fixed_deltas) == 0
                      && br->extra && same_widths(br->extra, &w) && same_list(br->list, &first), "echo batch");

                sample_list *lr = sample_echo_list_1(&first, c); CHECKED(lr, same_list(*lr, &first), "echo list");
                lr = sample_echo_list_1(NULL, c); CHECKED(lr, *lr == NULL, "echo empty list");

                sample_result res; sample_result *resr;
                res.status = 1; res.sample_result_u.count = UMAX;
                resr = sample_echo_result_1(res, c);
                CHECKED(resr, resr->status == 1 && resr->sample_result_u.count == UMAX, "echo result count");
                res.status = 9; res.sample_result_u.failed_at = SMIN;
                resr = sample_echo_result_1(res, c);
                CHECKED(resr, resr->status == 9 && resr->sample_result_u.failed_at == SMIN, "echo result default arm");
                res.status = 0; res.sample_result_u.resource = r;
                resr = sample_echo_result_1(res, c);
                CHECKED(resr, resr->status == 0 && same_resource(&resr->sample_result_u.resource, &r),
                        "echo result resource");

                sample_value v; v.kind = SAMPLE_WINDOW; v.sample_value_u.window = (WU)-1;
                sample_value *vr = sample_echo_value_1(v, c);
                CHECKED(vr, vr->kind == SAMPLE_WINDOW && vr->sample_value_u.window == (WU)-1, "echo value");
            }

            static void call_the_rest(CLIENT *c) {
                sample_buffer *buf = sample_read_1((WU)-1, 250, 10, c);
                int bytes_ok = buf && buf->len == 10 && buf->data.data_len == 10;
                for (int i = 0; bytes_ok && i < 10; i++)
                    bytes_ok = (unsigned char)buf->data.data_val[i] == ((250 + i) & 0xFF);
                CHECKED(buf, bytes_ok, "read");

                sample_buffer out; out.len = 3; out.data.data_len = 3; out.data.data_val = "abc";
                WS *s = sample_write_1((WU)-1, out, c); CHECKED(s, *s == 3, "write");

                WS deadline = SMAX;
                sample_result *opened = sample_open_1("file.txt", SAMPLE_FILE, &deadline, c);
                sample_resource *o = opened ? &opened->sample_result_u.resource : NULL;
                CHECKED(opened, opened->status == 0 && o->handle == (WU)-1 && o->kind == SAMPLE_FILE && o->length == 8
                      && o->created == SMAX && o->history[0] == SMAX - 3 && o->history[3] == SMAX
                      && strncmp(o->digest, "file.txt", 8) == 0 && o->shared, "open");
                opened = sample_open_1("x", SAMPLE_FILE, NULL, c);
                CHECKED(opened, opened->status == 3, "open without deadline");

                int *sum = sample_add_1(-5, 47, c); CHECKED(sum, *sum == 42, "add");
                sum = sample_add_1(INT32_MAX, 1, c); CHECKED(sum, *sum == INT32_MIN, "add wraps around");
                char **greeting = sample_greet_1("C", c);
                CHECKED(greeting, strcmp(*greeting, "Hello, C") == 0, "greet");
            }

            /* A result that does not fit 32 bits: the broker answers SYSTEM_ERR, and still serves this client. */
            static void too_large_through_broker(CLIENT *c) {
                WU *big = sample_echo_size_1(0xFFFFFFFEu, c);
                struct rpc_err err; clnt_geterr(c, &err);
                CHECK(big == NULL && err.re_status == RPC_SYSTEMERROR, "too large a result is SYSTEM_ERR");
                int *sum = sample_add_1(2, 3, c); CHECKED(sum, *sum == 5, "a call after the error");
            }

            int main(int argc, char **argv) {
                if (argc < 2) { fprintf(stderr, "usage: client HOST [PORT] [--through-broker]\n"); return 2; }
                CLIENT *c = connect_to(argc, argv);
                if (c == NULL) { printf("FAIL connect: %s\n", clnt_spcreateerror(argv[1])); return 2; }
                struct timeval timeout = { 10, 0 };
                clnt_control(c, CLSET_TIMEOUT, (char *)&timeout);

                CHECKED(sample_null_1(c), 1, "null");
                echo_scalars(c);
                echo_compounds(c);
                call_the_rest(c);
                if (strcmp(argv[argc - 1], "--through-broker") == 0) too_large_through_broker(c);

                clnt_destroy(c);
                printf("%s\n", failures ? "FAILED" : "ALL PASSED");
                return failures ? 1 : 0;
            }
            """#
}
