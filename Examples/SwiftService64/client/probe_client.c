/* An unmodified 32-bit C client: rpcgen stubs, clnt_create() through
 * rpcbind, plain C types. It does not know that the server is 64-bit Swift
 * or that a broker sits in between. */
#include "probe.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv) {
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    CLIENT *c = clnt_create(host, PROBE_PROG, PROBE_V1, "tcp");
    if (c == NULL) { clnt_pcreateerror(host); return 1; }
    printf("probe_client: a %d-bit C process (sizeof(long) = %d), clnt_create(\"%s\", PROBE_PROG, PROBE_V1, \"tcp\")\n",
           (int)(8 * sizeof(void *)), (int)sizeof(long), host);

    probe_values v;
    v.size = 4294967295u;       /* SIZE_MAX of a 32-bit process */
    v.handle = (u_int)-1;       /* INVALID_HANDLE_VALUE */
    v.offset = INT32_MIN;
    char **described = probe_describe_1(v, c);
    if (described == NULL) { clnt_perror(c, "PROBE_DESCRIBE"); return 1; }
    printf("  PROBE_DESCRIBE(size=4294967295, handle=-1, offset=-2147483648)\n    -> \"%s\"\n", *described);

    u_int *small = probe_triple_1(1000000000u, c);
    if (small == NULL) { clnt_perror(c, "PROBE_TRIPLE"); return 1; }
    printf("  PROBE_TRIPLE(1000000000) -> %u\n", *small);

    u_int *big = probe_triple_1(2000000000u, c);
    if (big == NULL) {
        struct rpc_err err;
        clnt_geterr(c, &err);
        printf("  PROBE_TRIPLE(2000000000) -> %s: 6000000000 does not fit this process's size_t\n", clnt_sperrno(err.re_status));
        if (err.re_status != RPC_SYSTEMERROR) return 1;
    } else {
        printf("  PROBE_TRIPLE(2000000000) -> %u (expected a SYSTEM_ERR)\n", *big);
        return 1;
    }

    u_int *handle = probe_new_handle_1(c);
    if (handle == NULL) { clnt_perror(c, "PROBE_NEW_HANDLE"); return 1; }
    printf("  PROBE_NEW_HANDLE() -> 0x%08x: the low 32 bits of the server's 0x00007f0080000010\n", *handle);
    clnt_destroy(c);
    return 0;
}
