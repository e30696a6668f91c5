/// The interface of the transport tests and its rpcgen-built C peers, as
/// sources written to a temporary directory at test time.
///
/// `cbtest.x` is compiled by rpcgen with `-DCB_LP64` for the LP64 layout and
/// without it for ILP32, which lowers its width-dependent types the way
/// `crossbit-idl rpcl --layout` does: size_t and handle_t to unsigned
/// int / unsigned hyper, ssize_t to int / hyper.
public enum CPeerSources {
    public static let program: UInt32 = 0x2C0B_0001
    public static let version: UInt32 = 1

    public enum Procedure: UInt32 {
        case add = 1, echo, widths, describe, sleep, fail, whoami, blob
    }

    static let interface = """
        #ifdef CB_LP64
        typedef unsigned hyper cb_size;
        typedef unsigned hyper cb_handle;
        typedef hyper cb_ssize;
        #else
        typedef unsigned int cb_size;
        typedef unsigned int cb_handle;
        typedef int cb_ssize;
        #endif

        typedef opaque cb_blob<>;
        struct cb_pair { int a; int b; };
        struct cb_widths { cb_size size; cb_handle handle; cb_ssize offset; };

        program CBTEST {
            version CBTEST_V1 {
                int ADD(cb_pair) = 1;
                string ECHO(string) = 2;
                cb_widths WIDTHS(cb_widths) = 3;
                string DESCRIBE(cb_widths) = 4;
                void SLEEP(unsigned int) = 5;
                int FAIL(void) = 6;
                string WHOAMI(void) = 7;
                cb_blob BLOB(cb_blob) = 8;
            } = 1;
        } = 0x2C0B0001;
        """

    /// The procedures of the C server, and a main that serves on
    /// `tcp`, `udp` or `unix PATH` without rpcbind and prints `READY PORT`.
    static let server = #"""
        #include "cbtest.h"
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <stdint.h>

        extern void cbtest_1(struct svc_req *, SVCXPRT *);

        int *add_1_svc(cb_pair *p, struct svc_req *r) { static int res; res = p->a + p->b; return &res; }
        char **echo_1_svc(char **s, struct svc_req *r) { static char *res; res = *s; return &res; }
        cb_widths *widths_1_svc(cb_widths *w, struct svc_req *r) { static cb_widths res; res = *w; return &res; }
        char **describe_1_svc(cb_widths *w, struct svc_req *r) {
            static char buf[128]; static char *res = buf;
        #ifdef CB_LP64
            long long handle = (long long)w->handle;
        #else
            long long handle = (long long)(int)w->handle;
        #endif
            snprintf(buf, sizeof buf, "size=%llu handle=%lld offset=%lld",
                     (unsigned long long)w->size, handle, (long long)w->offset);
            return &res;
        }
        void *sleep_1_svc(u_int *ms, struct svc_req *r) { static char res; usleep(*ms * 1000); return &res; }
        int *fail_1_svc(void *v, struct svc_req *r) { svcerr_systemerr(r->rq_xprt); return NULL; }
        char **whoami_1_svc(void *v, struct svc_req *r) {
            static char buf[400]; static char *res = buf;
            if (r->rq_cred.oa_flavor == AUTH_SYS) {
                struct authunix_parms *p = (struct authunix_parms *)r->rq_clntcred;
                snprintf(buf, sizeof buf, "sys uid=%u gid=%u machine=%s", p->aup_uid, p->aup_gid, p->aup_machname);
            } else {
                snprintf(buf, sizeof buf, "none");
            }
            return &res;
        }
        cb_blob *blob_1_svc(cb_blob *b, struct svc_req *r) { static cb_blob res; res = *b; return &res; }

        int main(int argc, char **argv) {
            SVCXPRT *x = NULL;
            if (argc > 1 && strcmp(argv[1], "tcp") == 0) x = svctcp_create(RPC_ANYSOCK, 0, 0);
            else if (argc > 1 && strcmp(argv[1], "udp") == 0) x = svcudp_create(RPC_ANYSOCK);
            else if (argc > 2 && strcmp(argv[1], "unix") == 0) {
                unlink(argv[2]);
                x = svcunix_create(RPC_ANYSOCK, 0, 0, argv[2]);
            }
            if (x == NULL) { fprintf(stderr, "usage: server tcp|udp|unix PATH\n"); return 2; }
            if (!svc_register(x, CBTEST, CBTEST_V1, cbtest_1, 0)) {
                fprintf(stderr, "svc_register failed\n");
                return 1;
            }
            printf("READY %d\n", x->xp_port);
            fflush(stdout);
            svc_run();
            return 1;
        }
        """#

    /// A C client that calls every procedure over `tcp HOST PORT`,
    /// `udp HOST PORT` or `unix PATH`, checks every result, and prints one
    /// line per check; exit status 0 when all passed.
    static let client = #"""
        #include "cbtest.h"
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <stdint.h>
        #include <arpa/inet.h>
        #include <sys/un.h>

        static int failures = 0;
        static void check(int ok, const char *what, const char *detail) {
            printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
            if (!ok) failures++;
        }

        int main(int argc, char **argv) {
            CLIENT *c = NULL;
            int sock = RPC_ANYSOCK;
            struct timeval wait = { 1, 0 };
            if (argc > 3 && strcmp(argv[1], "unix") != 0) {
                struct sockaddr_in sin;
                memset(&sin, 0, sizeof sin);
                sin.sin_family = AF_INET;
                sin.sin_port = htons(atoi(argv[3]));
                inet_pton(AF_INET, argv[2], &sin.sin_addr);
                if (strcmp(argv[1], "tcp") == 0) c = clnttcp_create(&sin, CBTEST, CBTEST_V1, &sock, 0, 0);
                else c = clntudp_create(&sin, CBTEST, CBTEST_V1, wait, &sock);
            } else if (argc > 2) {
                struct sockaddr_un sun;
                memset(&sun, 0, sizeof sun);
                sun.sun_family = AF_UNIX;
                strncpy(sun.sun_path, argv[2], sizeof sun.sun_path - 1);
                c = clntunix_create(&sun, CBTEST, CBTEST_V1, &sock, 0, 0);
            }
            if (c == NULL) { clnt_pcreateerror("client"); return 2; }
            struct timeval timeout = { 10, 0 };
            clnt_control(c, CLSET_TIMEOUT, (char *)&timeout);
            char detail[256];

            cb_pair pair = { -5, 47 };
            int *sum = add_1(&pair, c);
            snprintf(detail, sizeof detail, "%d", sum ? *sum : 0);
            check(sum && *sum == 42, "add", detail);

            char *text = "h\xc3\xa9llo, w\xc3\xb6rld";
            char **echoed = echo_1(&text, c);
            check(echoed && strcmp(*echoed, text) == 0, "echo", echoed ? *echoed : "no reply");

            cb_widths w;
        #ifdef CB_LP64
            w.size = 0xFFFFFFFFFFFFFFFFULL; w.handle = (cb_handle)-1; w.offset = INT64_MIN;
            const char *expected = "size=18446744073709551615 handle=-1 offset=-9223372036854775808";
        #else
            w.size = 0xFFFFFFFFu; w.handle = (cb_handle)-1; w.offset = INT32_MIN;
            const char *expected = "size=4294967295 handle=-1 offset=-2147483648";
        #endif
            cb_widths *back = widths_1(&w, c);
            check(back && back->size == w.size && back->handle == w.handle && back->offset == w.offset, "widths", NULL);
            char **described = describe_1(&w, c);
            check(described && strcmp(*described, expected) == 0, "describe", described ? *described : "no reply");

            u_int ms = 1;
            check(sleep_1(&ms, c) != NULL, "sleep", NULL);

            struct rpc_err err;
            int *failed = fail_1(NULL, c);
            clnt_geterr(c, &err);
            check(failed == NULL && err.re_status == RPC_SYSTEMERROR, "fail", clnt_sperrno(err.re_status));

            check(clnt_call(c, 99, (xdrproc_t)xdr_void, NULL, (xdrproc_t)xdr_void, NULL, timeout) == RPC_PROCUNAVAIL,
                  "unknown procedure", NULL);

            char **anonymous = whoami_1(NULL, c);
            check(anonymous && strcmp(*anonymous, "none") == 0, "whoami none", anonymous ? *anonymous : "no reply");
            auth_destroy(c->cl_auth);
            c->cl_auth = authunix_create_default();
            char **who = whoami_1(NULL, c);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "sys uid=%u gid=%u machine=", getuid(), getgid());
            check(who && strncmp(*who, prefix, strlen(prefix)) == 0, "whoami sys", who ? *who : "no reply");

            static char payload[4000];
            for (int i = 0; i < (int)sizeof payload; i++) payload[i] = (char)(i * 7);
            cb_blob blob = { sizeof payload, payload };
            cb_blob *blobbed = blob_1(&blob, c);
            check(blobbed && blobbed->cb_blob_len == sizeof payload
                      && memcmp(blobbed->cb_blob_val, payload, sizeof payload) == 0,
                  "blob", NULL);

            clnt_destroy(c);
            printf("%s\n", failures ? "FAILED" : "ALL PASSED");
            return failures ? 1 : 0;
        }
        """#
}
