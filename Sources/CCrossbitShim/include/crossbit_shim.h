#ifndef CROSSBIT_SHIM_H
#define CROSSBIT_SHIM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The few libtirpc calls Crossbit makes, with plain C types so that Swift
 * sees neither libtirpc's macros nor its variadic xdrproc_t.
 */

/* crossbit_rpcb_getaddr's result when rpcbind knows no such program version. */
#define CROSSBIT_RPCB_NOT_REGISTERED (-1)

/* Looks up the address of PROGRAM/VERSION on NETID ("tcp", "udp") at HOST
 * through rpcbind (rpcb_getaddr). Returns 0 and fills ADDRESS (a sockaddr of
 * at most *LENGTH bytes, *LENGTH set to its size), CROSSBIT_RPCB_NOT_REGISTERED,
 * or the clnt_stat of another failure. */
int crossbit_rpcb_getaddr(uint32_t program, uint32_t version, const char *netid,
                          const char *host, void *address, uint32_t *length);

/* Registers PROGRAM/VERSION at ADDRESS (a sockaddr of LENGTH bytes) for NETID
 * with the local rpcbind (rpcb_set). Returns 1 on success, 0 on failure. */
int crossbit_rpcb_set(uint32_t program, uint32_t version, const char *netid,
                      const void *address, uint32_t length);

/* Removes the registration of PROGRAM/VERSION for NETID (rpcb_unset).
 * Returns 1 on success, 0 on failure. */
int crossbit_rpcb_unset(uint32_t program, uint32_t version, const char *netid);

/* The credentials the kernel records for the peer of a connected unix
 * socket, as getsockopt(SO_PEERCRED) writes them: struct ucred, which
 * Swift's Glibc module does not export without _GNU_SOURCE (shim.c checks
 * that the two have the same layout). */
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} crossbit_ucred;

/* libtirpc's text for a clnt_stat (clnt_sperrno); a static string. */
const char *crossbit_rpc_status_text(int status);

/* glibc's mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and then
 * mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD): Swift's Glibc module does not
 * export <malloc.h>. Returns 1 when glibc took both, 0 otherwise. */
int crossbit_malloc_thresholds(int mmap_threshold, int trim_threshold);

#endif
