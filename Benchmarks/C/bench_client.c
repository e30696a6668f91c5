/*
 * The C baseline client: rpcgen's client stubs over libtirpc.
 * Usage: bench_client tcp HOST PORT | unix PATH, then one of
 *   latency CALLS [plain]   -> prints "<median ns> <p99 ns>"
 *   rate SECONDS [plain] [START_NS] -> prints "<calls> <nanoseconds>"; with
 *                           START_NS (CLOCK_MONOTONIC), counting starts then
 *                           (so that concurrent clients measure one window)
 *   payload CALLS BYTES     -> prints "<bytes moved> <nanoseconds>"
 * WIDE_T is the lowered size_t (-DWIDE_T=...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "crossbit_bench.h"

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static CLIENT *connect_client(char **argv, int *used) {
    int sock = RPC_ANYSOCK;
    if (strcmp(argv[1], "tcp") == 0) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
        inet_pton(AF_INET, argv[2], &sin.sin_addr);
        *used = 4;
        return clnttcp_create(&sin, CROSSBIT_BENCH, CROSSBIT_BENCH_V1, &sock, 0, 0);
    }
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strncpy(sun.sun_path, argv[2], sizeof sun.sun_path - 1);
    *used = 3;
    return clntunix_create(&sun, CROSSBIT_BENCH, CROSSBIT_BENCH_V1, &sock, 0, 0);
}

/* One small call; returns 0 on success. */
static int small_call(CLIENT *clnt, int plain, unsigned i) {
    if (plain) {
        u_int *r = ping_plain_1(i, clnt);
        return r == NULL || *r != i + 1;
    }
    WIDE_T *r = ping_wide_1((WIDE_T)i, clnt);
    return r == NULL || *r != (WIDE_T)i + 1;
}

int main(int argc, char **argv) {
    int used = 0;
    if (argc < 4) goto usage;
    CLIENT *clnt = connect_client(argv, &used);
    if (clnt == NULL) { clnt_pcreateerror("bench_client"); return 1; }
    if (argc < used + 2) goto usage;
    const char *mode = argv[used];
    long long n = atoll(argv[used + 1]);
    int plain = 0;
    long long start_at = 0;
    for (int i = used + 2; i < argc; i++) {
        if (strcmp(argv[i], "plain") == 0) plain = 1;
        else start_at = atoll(argv[i]);
    }
    for (int i = 0; i < 200; i++) small_call(clnt, plain, i); /* warm-up */
    if (strcmp(mode, "latency") == 0) {
        long long *times = malloc(sizeof(long long) * n);
        for (long long i = 0; i < n; i++) {
            long long t0 = now_ns();
            if (small_call(clnt, plain, (unsigned)i)) { clnt_perror(clnt, "call"); return 1; }
            times[i] = now_ns() - t0;
        }
        qsort(times, n, sizeof *times, compare);
        printf("%lld %lld\n", times[n / 2], times[(n * 99) / 100]);
    } else if (strcmp(mode, "rate") == 0) {
        long long calls = 0, start = now_ns(), t;
        if (start_at > 0) {
            while (now_ns() < start_at) {
                struct timespec pause = { 0, 200000 };
                nanosleep(&pause, NULL);
            }
            start = start_at;
        }
        long long deadline = start + (long long)(atof(argv[used + 1]) * 1e9);
        do {
            if (small_call(clnt, plain, (unsigned)calls)) { clnt_perror(clnt, "call"); return 1; }
            calls++;
            t = now_ns();
        } while (t < deadline);
        printf("%lld %lld\n", calls, t - start);
    } else if (strcmp(mode, "payload") == 0) {
        if (argc < used + 3) goto usage;
        u_int bytes = (u_int)atol(argv[used + 2]);
        bench_payload p = { .bench_payload_len = bytes, .bench_payload_val = malloc(bytes) };
        memset(p.bench_payload_val, 7, bytes);
        long long start = now_ns();
        for (long long i = 0; i < n; i++) {
            bench_payload *r = echo_payload_1(p, clnt);
            if (r == NULL || r->bench_payload_len != bytes) { clnt_perror(clnt, "call"); return 1; }
            xdr_free((xdrproc_t)xdr_bench_payload, (char *)r);
        }
        printf("%lld %lld\n", 2LL * bytes * n, now_ns() - start);
    } else {
        goto usage;
    }
    clnt_destroy(clnt);
    return 0;
usage:
    fprintf(stderr, "usage: %s tcp HOST PORT | unix PATH, then latency N [plain] | rate SECONDS [plain] [START_NS] | payload N BYTES\n", argv[0]);
    return 2;
}
