/*
 * A 32-bit server of `make soak`: rpcgen's dispatch routines (`rpcgen -N -m`)
 * of Benchmarks/IDL/crossbit_soak.x lowered for ILP32, served by libtirpc's
 * svc_run on one TCP address, without rpcbind. Every program of the file
 * answers there (the broker routes SOAK_TO32 or SOAK_ACT32 to it).
 * Usage: soak_server [tcp://HOST:PORT]; without it, CROSSBIT_LISTEN (set by
 * the broker when it starts the server) says where. The port is bound with
 * SO_REUSEADDR, so that a server restarted after a kill gets it back.
 * Prints "READY PORT" once it serves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "soak_common.h"

extern void soak_to64_1(struct svc_req *, SVCXPRT *);
extern void soak_act64_1(struct svc_req *, SVCXPRT *);
extern void soak_to32_1(struct svc_req *, SVCXPRT *);
extern void soak_act32_1(struct svc_req *, SVCXPRT *);

static soak_answer *step(soak_args args) {
    static soak_answer answer;
    soak_answer_of(&args, &answer);
    return &answer;
}

soak_answer *soak_to64_step_1_svc(soak_args args, struct svc_req *req) { (void)req; return step(args); }
soak_answer *soak_act64_step_1_svc(soak_args args, struct svc_req *req) { (void)req; return step(args); }
soak_answer *soak_to32_step_1_svc(soak_args args, struct svc_req *req) { (void)req; return step(args); }
soak_answer *soak_act32_step_1_svc(soak_args args, struct svc_req *req) { (void)req; return step(args); }

#define FREERESULT(name) \
    int name(SVCXPRT *xprt, xdrproc_t proc, caddr_t result) { (void)xprt; (void)proc; (void)result; return 1; }
FREERESULT(soak_to64_1_freeresult)
FREERESULT(soak_act64_1_freeresult)
FREERESULT(soak_to32_1_freeresult)
FREERESULT(soak_act32_1_freeresult)

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : getenv("CROSSBIT_LISTEN");
    char host[64];
    int port;
    if (url == NULL || sscanf(url, "tcp://%63[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "usage: %s tcp://HOST:PORT (or CROSSBIT_LISTEN)\n", argv[0]);
        return 2;
    }
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        fprintf(stderr, "soak_server: error: %s is not an IPv4 address\n", host);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 128) != 0) {
        perror("soak_server: error: cannot listen");
        return 1;
    }
    SVCXPRT *xprt = svc_vc_create(fd, 0, 0);
    if (xprt == NULL) {
        fprintf(stderr, "soak_server: error: svc_vc_create failed\n");
        return 1;
    }
    if (!svc_register(xprt, SOAK_TO64, SOAK_TO64_V1, soak_to64_1, 0)
        || !svc_register(xprt, SOAK_ACT64, SOAK_ACT64_V1, soak_act64_1, 0)
        || !svc_register(xprt, SOAK_TO32, SOAK_TO32_V1, soak_to32_1, 0)
        || !svc_register(xprt, SOAK_ACT32, SOAK_ACT32_V1, soak_act32_1, 0)) {
        fprintf(stderr, "soak_server: error: svc_register failed\n");
        return 1;
    }
    printf("READY %d\n", port);
    fflush(stdout);
    svc_run();
    fprintf(stderr, "soak_server: error: svc_run returned\n");
    return 1;
}
