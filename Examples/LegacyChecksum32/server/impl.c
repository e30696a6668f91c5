/* The 32-bit rpcgen server that hosts libcksum: each procedure calls the
 * library. rpcgen writes main() (which registers with rpcbind) and the XDR
 * code, from the RPC language that `crossbit-idl rpcl --layout ilp32` prints. */
#include "checksum.h"
#include "cksum.h"
#include <unistd.h>

/* ck_handle is lowered to unsigned int for ILP32: the bits of a long handle. */
static cksum_handle h(ck_handle handle) { return (cksum_handle)(int)handle; }

ck_handle *ck_open_1_svc(char *name, struct svc_req *r) {
    static ck_handle res;
    res = (ck_handle)cksum_open(name);
    return &res;
}

u_int *ck_update_1_svc(ck_handle handle, ck_chunk chunk, struct svc_req *r) {
    static u_int res;
    res = cksum_update(h(handle), chunk.ck_chunk_val, chunk.ck_chunk_len);
    return &res;
}

u_int *ck_skip_1_svc(ck_handle handle, u_int count, struct svc_req *r) {
    static u_int res;
    res = cksum_skip(h(handle), count);
    return &res;
}

ck_state *ck_state_1_svc(ck_handle handle, struct svc_req *r) {
    static ck_state res;
    res.name = (char *)cksum_name(h(handle));
    res.total = cksum_update(h(handle), "", 0);
    res.adler = (u_int)cksum_value(h(handle));
    return &res;
}

int *ck_close_1_svc(ck_handle handle, struct svc_req *r) {
    static int res;
    res = cksum_close(h(handle));
    return &res;
}

int *ck_server_pid_1_svc(struct svc_req *r) {
    static int res;
    res = getpid();
    return &res;
}

int checksum_prog_1_freeresult(SVCXPRT *transp, xdrproc_t xdr_result, caddr_t result) { return 1; }
