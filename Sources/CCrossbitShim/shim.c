#define _GNU_SOURCE
#include "crossbit_shim.h"

#include <sys/socket.h>

#include <malloc.h>

#include <stddef.h>
#include <string.h>
#include <rpc/rpc.h>
#include <rpc/rpcb_clnt.h>
#include <netconfig.h>

int crossbit_rpcb_getaddr(uint32_t program, uint32_t version, const char *netid,
                          const char *host, void *address, uint32_t *length) {
    struct netconfig *nconf = getnetconfigent(netid);
    if (nconf == NULL)
        return RPC_UNKNOWNPROTO;
    struct netbuf buf = { .maxlen = *length, .len = 0, .buf = address };
    bool_t found = rpcb_getaddr(program, version, nconf, &buf, host);
    freenetconfigent(nconf);
    if (!found) {
        enum clnt_stat status = rpc_createerr.cf_stat;
        if (status == RPC_PROGNOTREGISTERED)
            return CROSSBIT_RPCB_NOT_REGISTERED;
        return status == RPC_SUCCESS ? RPC_FAILED : (int)status;
    }
    *length = buf.len;
    return 0;
}

int crossbit_rpcb_set(uint32_t program, uint32_t version, const char *netid,
                      const void *address, uint32_t length) {
    struct netconfig *nconf = getnetconfigent(netid);
    if (nconf == NULL)
        return 0;
    struct netbuf buf = { .maxlen = length, .len = length, .buf = (void *)address };
    bool_t ok = rpcb_set(program, version, nconf, &buf);
    freenetconfigent(nconf);
    return ok ? 1 : 0;
}

int crossbit_rpcb_unset(uint32_t program, uint32_t version, const char *netid) {
    struct netconfig *nconf = getnetconfigent(netid);
    if (nconf == NULL)
        return 0;
    bool_t ok = rpcb_unset(program, version, nconf);
    freenetconfigent(nconf);
    return ok ? 1 : 0;
}

const char *crossbit_rpc_status_text(int status) {
    return clnt_sperrno((enum clnt_stat)status);
}

/* crossbit_ucred must read what the kernel writes for SO_PEERCRED. */
_Static_assert(sizeof(crossbit_ucred) == sizeof(struct ucred), "crossbit_ucred's size is struct ucred's");
_Static_assert(offsetof(crossbit_ucred, pid) == offsetof(struct ucred, pid), "pid where struct ucred has it");
_Static_assert(offsetof(crossbit_ucred, uid) == offsetof(struct ucred, uid), "uid where struct ucred has it");
_Static_assert(offsetof(crossbit_ucred, gid) == offsetof(struct ucred, gid), "gid where struct ucred has it");

int crossbit_malloc_thresholds(int mmap_threshold, int trim_threshold) {
    int mapped = mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    int trimmed = mallopt(M_TRIM_THRESHOLD, trim_threshold);
    return mapped == 1 && trimmed == 1;
}
