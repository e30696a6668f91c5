/*
 * The C baseline server: rpcgen's dispatch routine (crossbit_bench_1, from
 * `rpcgen -N -m`) served by libtirpc's svc_run on a TCP port and/or a unix
 * socket, without rpcbind.
 * Usage: bench_server tcp PORT | unix PATH
 * Prints "READY PORT" (the bound port: PORT 0 picks a free one) or
 * "READY PATH" once it serves.  WIDE_T is the lowered size_t (-DWIDE_T=...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "crossbit_bench.h"
#include "bench_region.h"

extern void crossbit_bench_1(struct svc_req *, SVCXPRT *);

WIDE_T *ping_wide_1_svc(WIDE_T value, struct svc_req *req) {
    static WIDE_T result;
    (void)req;
    result = value + 1;
    return &result;
}

u_int *ping_plain_1_svc(u_int value, struct svc_req *req) {
    static u_int result;
    (void)req;
    result = value + 1;
    return &result;
}

bench_payload *echo_payload_1_svc(bench_payload value, struct svc_req *req) {
    static bench_payload result;
    (void)req;
    result = value;
    return &result;
}

u_int *sink_payload_1_svc(bench_payload value, struct svc_req *req) {
    static u_int result;
    (void)req;
    result = value.bench_payload_len;
    return &result;
}

/* Reads a region of this program's own layout in place (0 when it cannot). */
u_quad_t *read_region_1_svc(char *name, struct svc_req *req) {
    static u_quad_t result;
    size_t size;
    (void)req;
    result = 0;
    struct crossbit_region_header *header = map_region(name, 0, &size);
    if (header == NULL) return &result;
    const bench_block *blocks = (const bench_block *)((const char *)header + header->data_offset);
    for (uint64_t i = 0; i < header->count; i++) result += blocks[i].seq + (u_char)blocks[i].samples[0];
    munmap(header, size);
    return &result;
}

int crossbit_bench_1_freeresult(SVCXPRT *xprt, xdrproc_t proc, caddr_t result) {
    (void)xprt; (void)proc; (void)result;
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s tcp PORT | unix PATH\n", argv[0]);
        return 2;
    }
    int fd;
    if (strcmp(argv[1], "tcp") == 0) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) { perror("bind"); return 1; }
    } else {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        strncpy(sun.sun_path, argv[2], sizeof sun.sun_path - 1);
        unlink(argv[2]);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) { perror("bind"); return 1; }
    }
    if (listen(fd, 128) != 0) { perror("listen"); return 1; }
    char where[128];
    if (strcmp(argv[1], "tcp") == 0) {
        struct sockaddr_in bound;
        socklen_t length = sizeof bound;
        getsockname(fd, (struct sockaddr *)&bound, &length);
        snprintf(where, sizeof where, "%d", ntohs(bound.sin_port));
    } else {
        snprintf(where, sizeof where, "%s", argv[2]);
    }
    SVCXPRT *xprt = svc_vc_create(fd, 0, 0);
    if (xprt == NULL || !svc_register(xprt, CROSSBIT_BENCH, CROSSBIT_BENCH_V1, crossbit_bench_1, 0)) {
        fprintf(stderr, "cannot serve\n");
        return 1;
    }
    printf("READY %s\n", where);
    fflush(stdout);
    svc_run();
    return 1;
}
