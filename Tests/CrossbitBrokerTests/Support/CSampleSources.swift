/// The rpcgen-built 32-bit C peers of IDL/crossbit_sample.x: the interface
/// is lowered by `crossbit-idl rpcl --layout ilp32`, compiled by `rpcgen -N`
/// and `gcc -m32` at test time.
enum CSampleSources {
    /// Calls every procedure with width-dependent values at their 32-bit
    /// limits and checks each echo; prints `ok NAME` per check and
    /// `ALL PASSED` at the end (exit 0), or `FAIL …` (exit 1).
    ///
    /// `client HOST PORT` connects with `clnttcp_create`; `client HOST`
    /// finds the server through rpcbind with `clnt_create(HOST, PROG, VERS, "tcp")`,
    /// as a legacy client does.
    static let client = #"""
        #include "sample.h"
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <stdint.h>
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <sys/socket.h>

        static CLIENT *clnt;
        static int failures;
        #define CHECK(name, cond) do { if (cond) printf("ok %s\n", name); \
            else { printf("FAIL %s\n", name); failures++; } fflush(stdout); } while (0)
        #define CALLED(name, res) do { if ((res) == NULL) { \
            printf("FAIL %s: %s\n", name, clnt_sperror(clnt, name)); fflush(stdout); exit(1); } } while (0)

        static int same_resource(const sample_resource *a, const sample_resource *b) {
            return a->handle == b->handle && a->kind == b->kind && a->length == b->length
                && a->created == b->created && memcmp(a->history, b->history, sizeof a->history) == 0
                && memcmp(a->digest, b->digest, sizeof a->digest) == 0 && a->shared == b->shared;
        }

        static sample_resource limits_resource(void) {
            sample_resource r;
            r.handle = 0xFFFFFFFFu; r.kind = SAMPLE_WINDOW; r.length = 0xFFFFFFFFu; r.created = INT32_MIN;
            r.history[0] = INT32_MIN; r.history[1] = -1; r.history[2] = 0; r.history[3] = INT32_MAX;
            for (int i = 0; i < SAMPLE_DIGEST_SIZE; i++) r.digest[i] = (char)(0xF0 + i);
            r.shared = TRUE;
            return r;
        }

        int main(int argc, char **argv) {
            if (argc == 3) {
                struct sockaddr_in addr; memset(&addr, 0, sizeof addr);
                addr.sin_family = AF_INET; addr.sin_port = htons(atoi(argv[2]));
                inet_pton(AF_INET, argv[1], &addr.sin_addr);
                int sock = RPC_ANYSOCK;
                clnt = clnttcp_create(&addr, CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, &sock, 0, 0);
            } else {
                clnt = clnt_create(argv[1], CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, "tcp");
            }
            if (clnt == NULL) { printf("FAIL connect: %s\n", clnt_spcreateerror(argv[1])); return 1; }
            struct timeval timeout = { 10, 0 };
            clnt_control(clnt, CLSET_TIMEOUT, (char *)&timeout);

            CALLED("null", sample_null_1(clnt));
            CHECK("null", 1);

            u_int usizes[] = { 0, 1, 0x7FFFFFFFu, 0xFFFFFFFFu };
            for (int i = 0; i < 4; i++) {
                u_int *s = sample_echo_size_1(usizes[i], clnt); CALLED("echo_size", s);
                CHECK("echo_size", *s == usizes[i]);
                u_int *u = sample_echo_uintptr_1(usizes[i], clnt); CALLED("echo_uintptr", u);
                CHECK("echo_uintptr", *u == usizes[i]);
                u_int *h = sample_echo_handle_1(usizes[i], clnt); CALLED("echo_handle", h);
                CHECK("echo_handle", *h == usizes[i]);
            }
            int ssizes[] = { INT32_MIN, -1, 0, INT32_MAX };
            for (int i = 0; i < 4; i++) {
                int *s = sample_echo_ssize_1(ssizes[i], clnt); CALLED("echo_ssize", s);
                CHECK("echo_ssize", *s == ssizes[i]);
                int *p = sample_echo_intptr_1(ssizes[i], clnt); CALLED("echo_intptr", p);
                CHECK("echo_intptr", *p == ssizes[i]);
                int *t = sample_echo_time_1(ssizes[i], clnt); CALLED("echo_time", t);
                CHECK("echo_time", *t == ssizes[i]);
            }

            sample_widths w = { 0xFFFFFFFFu, INT32_MIN, INT32_MAX, 0xFFFFFFFFu, 0xFFFFFFFFu, INT32_MAX,
                                -1, 0x80000000u, 0x5A5A5A5A, 0xFFFFFFFFFFFFFFFFull };
            sample_widths *wr = sample_echo_widths_1(w, clnt); CALLED("echo_widths", wr);
            CHECK("echo_widths", memcmp(&w, wr, sizeof w) == 0);

            sample_resource r = limits_resource();
            sample_resource *rr = sample_echo_resource_1(r, clnt); CALLED("echo_resource", rr);
            CHECK("echo_resource", same_resource(&r, rr));

            sample_node n3 = { 3, INT32_MIN, NULL }, n2 = { 0xFFFFFFFFu, INT32_MAX, &n3 }, n1 = { 1, -1, &n2 };
            sample_list *lr = sample_echo_list_1(&n1, clnt); CALLED("echo_list", lr);
            CHECK("echo_list", *lr && (*lr)->handle == 1 && (*lr)->weight == -1 && (*lr)->next
                  && (*lr)->next->handle == 0xFFFFFFFFu && (*lr)->next->weight == INT32_MAX
                  && (*lr)->next->next && (*lr)->next->next->weight == INT32_MIN && !(*lr)->next->next->next);

            u_int sizes[3] = { 0, 0xFFFFFFFFu, 42 };
            sample_resource resources[2] = { limits_resource(), limits_resource() };
            resources[1].kind = SAMPLE_FILE;
            sample_batch b;
            b.name = "batch";
            b.sizes.sizes_len = 3; b.sizes.sizes_val = sizes;
            b.resources.resources_len = 2; b.resources.resources_val = resources;
            b.fixed_deltas[0] = INT32_MIN; b.fixed_deltas[1] = 0; b.fixed_deltas[2] = INT32_MAX;
            b.extra = &w;
            b.list = &n1;
            sample_batch *br = sample_echo_batch_1(b, clnt); CALLED("echo_batch", br);
            CHECK("echo_batch", strcmp(br->name, "batch") == 0 && br->sizes.sizes_len == 3
                  && br->sizes.sizes_val[1] == 0xFFFFFFFFu && br->resources.resources_len == 2
                  && same_resource(&resources[1], &br->resources.resources_val[1])
                  && br->fixed_deltas[0] == INT32_MIN && br->fixed_deltas[2] == INT32_MAX
                  && br->extra && memcmp(br->extra, &w, sizeof w) == 0
                  && br->list && br->list->next && br->list->next->next && br->list->next->next->handle == 3);

            sample_result results[5];
            results[0].status = 0; results[0].sample_result_u.resource = limits_resource();
            results[1].status = 1; results[1].sample_result_u.count = 0xFFFFFFFFu;
            results[2].status = 2; results[2].sample_result_u.error = "broken";
            results[3].status = 3;
            results[4].status = 77; results[4].sample_result_u.failed_at = INT32_MIN;
            for (int i = 0; i < 5; i++) {
                sample_result *x = sample_echo_result_1(results[i], clnt); CALLED("echo_result", x);
                int same = x->status == results[i].status;
                if (same && i == 0) same = same_resource(&x->sample_result_u.resource, &results[0].sample_result_u.resource);
                if (same && i == 1) same = x->sample_result_u.count == 0xFFFFFFFFu;
                if (same && i == 2) same = strcmp(x->sample_result_u.error, "broken") == 0;
                if (same && i == 4) same = x->sample_result_u.failed_at == INT32_MIN;
                CHECK("echo_result", same);
            }

            sample_value v = { SAMPLE_WINDOW }; v.sample_value_u.window = 0xFFFFFFFFu;
            sample_value *vr = sample_echo_value_1(v, clnt); CALLED("echo_value", vr);
            CHECK("echo_value", vr->kind == SAMPLE_WINDOW && vr->sample_value_u.window == 0xFFFFFFFFu);
            v.kind = SAMPLE_FILE; v.sample_value_u.file_size = 0xFFFFFFFFu;
            vr = sample_echo_value_1(v, clnt); CALLED("echo_value", vr);
            CHECK("echo_value", vr->kind == SAMPLE_FILE && vr->sample_value_u.file_size == 0xFFFFFFFFu);

            sample_buffer *rd = sample_read_1(0xFFFFFFFFu, -5LL, 3, clnt); CALLED("read", rd);
            CHECK("read", rd->len == 3 && rd->data.data_len == 3 && rd->data.data_val[2] == 2);
            char bytes[5] = { 1, 2, 3, 4, 5 };
            sample_buffer wb = { 0xFFFFFFFFu, { 5, bytes } };
            int *wn = sample_write_1(7, wb, clnt); CALLED("write", wn);
            CHECK("write", *wn == 5);
            int deadline = INT32_MAX;
            sample_result *op = sample_open_1("file", SAMPLE_FILE, &deadline, clnt); CALLED("open", op);
            CHECK("open", op->status == 1 && op->sample_result_u.count == 4);
            op = sample_open_1("none", SAMPLE_SOCKET, NULL, clnt); CALLED("open", op);
            CHECK("open", op->status == 3);
            int *sum = sample_add_1(INT32_MAX, 1, clnt); CALLED("add", sum);
            CHECK("add", *sum == INT32_MIN);
            char **g = sample_greet_1("broker", clnt); CALLED("greet", g);
            CHECK("greet", strcmp(*g, "hello, broker") == 0);

            /* A result that does not fit 32 bits: the broker answers SYSTEM_ERR. */
            u_int *big = sample_echo_size_1(0xFFFFFFFEu, clnt);
            struct rpc_err err; clnt_geterr(clnt, &err);
            CHECK("too_large_result_is_system_error", big == NULL && err.re_status == RPC_SYSTEMERROR);
            /* The broker still serves this client. */
            sum = sample_add_1(2, 3, clnt); CALLED("add_after_error", sum);
            CHECK("add_after_error", *sum == 5);

            clnt_destroy(clnt);
            if (failures) { printf("FAILED %d\n", failures); return 1; }
            printf("ALL PASSED\n");
            return 0;
        }
        """#

    /// Serves every procedure by echoing its argument, and prints `call NAME`
    /// for each call (so that tests can count what reached it). `add(424242, MS)`
    /// sleeps MS milliseconds first. `server PORT` serves TCP on PORT (0: any)
    /// without rpcbind and prints `READY PORT`.
    static let server = #"""
        #include "sample.h"
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <sys/socket.h>

        extern void crossbit_sample_1(struct svc_req *, SVCXPRT *);
        #define LOG(name) do { printf("call %s\n", name); fflush(stdout); } while (0)

        void *sample_null_1_svc(struct svc_req *r) { static char res; LOG("null"); return &res; }
        u_int *sample_echo_size_1_svc(u_int a, struct svc_req *r) { static u_int res; LOG("echo_size"); res = a; return &res; }
        int *sample_echo_ssize_1_svc(int a, struct svc_req *r) { static int res; LOG("echo_ssize"); res = a; return &res; }
        int *sample_echo_intptr_1_svc(int a, struct svc_req *r) { static int res; LOG("echo_intptr"); res = a; return &res; }
        u_int *sample_echo_uintptr_1_svc(u_int a, struct svc_req *r) { static u_int res; LOG("echo_uintptr"); res = a; return &res; }
        u_int *sample_echo_handle_1_svc(u_int a, struct svc_req *r) { static u_int res; LOG("echo_handle"); res = a; return &res; }
        int *sample_echo_time_1_svc(int a, struct svc_req *r) { static int res; LOG("echo_time"); res = a; return &res; }
        sample_widths *sample_echo_widths_1_svc(sample_widths a, struct svc_req *r) { static sample_widths res; LOG("echo_widths"); res = a; return &res; }
        sample_resource *sample_echo_resource_1_svc(sample_resource a, struct svc_req *r) { static sample_resource res; LOG("echo_resource"); res = a; return &res; }
        sample_batch *sample_echo_batch_1_svc(sample_batch a, struct svc_req *r) { static sample_batch res; LOG("echo_batch"); res = a; return &res; }
        sample_list *sample_echo_list_1_svc(sample_list a, struct svc_req *r) { static sample_list res; LOG("echo_list"); res = a; return &res; }
        sample_result *sample_echo_result_1_svc(sample_result a, struct svc_req *r) { static sample_result res; LOG("echo_result"); res = a; return &res; }
        sample_value *sample_echo_value_1_svc(sample_value a, struct svc_req *r) { static sample_value res; LOG("echo_value"); res = a; return &res; }
        sample_buffer *sample_read_1_svc(sample_handle h, quad_t offset, u_int size, struct svc_req *r) {
            static sample_buffer res; static char data[16]; LOG("read");
            if (size > sizeof data) size = sizeof data;
            for (u_int i = 0; i < size; i++) data[i] = (char)i;
            res.len = size; res.data.data_len = size; res.data.data_val = data; return &res;
        }
        int *sample_write_1_svc(sample_handle h, sample_buffer b, struct svc_req *r) { static int res; LOG("write"); res = (int)b.data.data_len; return &res; }
        sample_result *sample_open_1_svc(sample_name name, sample_kind kind, sample_deadline deadline, struct svc_req *r) {
            static sample_result res; LOG("open");
            if (deadline) { res.status = 1; res.sample_result_u.count = (u_int)strlen(name); } else res.status = 3;
            return &res;
        }
        int *sample_add_1_svc(int a, int b, struct svc_req *r) {
            static int res; LOG("add");
            if (a == 424242) { usleep(b * 1000); }
            res = (int)((unsigned)a + (unsigned)b); return &res;
        }
        char **sample_greet_1_svc(char *s, struct svc_req *r) {
            static char buf[128]; static char *res = buf; LOG("greet");
            snprintf(buf, sizeof buf, "hello, %s", s); return &res;
        }

        int main(int argc, char **argv) {
            int sock = socket(AF_INET, SOCK_STREAM, 0);
            int one = 1; setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            struct sockaddr_in addr; memset(&addr, 0, sizeof addr);
            addr.sin_family = AF_INET; addr.sin_port = htons(argc > 1 ? atoi(argv[1]) : 0);
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(sock, 64) != 0) { perror("bind"); return 1; }
            SVCXPRT *transp = svctcp_create(sock, 0, 0);
            if (!transp || !svc_register(transp, CROSSBIT_SAMPLE, CROSSBIT_SAMPLE_V1, crossbit_sample_1, 0)) {
                fprintf(stderr, "cannot serve\n"); return 1;
            }
            socklen_t len = sizeof addr; getsockname(sock, (struct sockaddr *)&addr, &len);
            printf("READY %d\n", ntohs(addr.sin_port)); fflush(stdout);
            svc_run();
            return 1;
        }
        """#
}
