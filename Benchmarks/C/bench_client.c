/*
 * The C baseline client: rpcgen's client stubs over libtirpc.
 * Usage: bench_client tcp HOST PORT | unix PATH, then one of
 *   latency CALLS [plain]   -> prints "<median ns> <p99 ns>"
 *   rate SECONDS [plain] [START_NS] -> prints "<calls> <nanoseconds>"; with
 *                           START_NS (CLOCK_MONOTONIC), counting starts then
 *                           (so that concurrent clients measure one window)
 *   payload CALLS BYTES     -> prints "<bytes moved> <nanoseconds>"
 *   sink HANDOVERS BYTES    -> hands BYTES over per handover by SINK_PAYLOAD calls
 *                           of at most 4 MiB; prints "<bytes handed over> <nanoseconds>"
 *   region HANDOVERS BYTES  -> fills a shared region of bench_block once, then per
 *                           handover updates each block's seq and calls READ_REGION
 *                           with its name; prints "<bytes handed over> <nanoseconds>"
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
#include "bench_region.h"

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

/* `sink`: BYTES per handover as SINK_PAYLOAD calls of at most 4 MiB each. */
static int sink(CLIENT *clnt, long long handovers, long long bytes) {
    u_int chunk = bytes < BENCH_PAYLOAD_MAX ? (u_int)bytes : BENCH_PAYLOAD_MAX;
    bench_payload p = { .bench_payload_len = chunk, .bench_payload_val = malloc(chunk) };
    memset(p.bench_payload_val, 7, chunk);
    long long start = now_ns();
    for (long long i = 0; i < handovers; i++) {
        for (long long sent = 0; sent < bytes; sent += chunk) {
            u_int *r = sink_payload_1(p, clnt);
            if (r == NULL || *r != chunk) { clnt_perror(clnt, "SINK_PAYLOAD"); return 1; }
        }
    }
    printf("%lld %lld\n", bytes * handovers, now_ns() - start);
    free(p.bench_payload_val);
    return 0;
}

/* `region`: a region of BYTES of bench_block, filled once; per handover every
 * block gets a new seq, the generation is bumped and READ_REGION reads it all. */
static int region(CLIENT *clnt, long long handovers, long long bytes) {
    char name[64];
    snprintf(name, sizeof name, "/crossbit-bench-%d", (int)getpid());
    uint64_t count = (uint64_t)bytes / sizeof(bench_block);
    size_t size;
    struct crossbit_region_header *header = map_region(name, count, &size);
    if (header == NULL) { perror("region"); shm_unlink(name); return 1; }
    bench_block *blocks = (bench_block *)((char *)header + header->data_offset);
    for (uint64_t b = 0; b < count; b++) {
        blocks[b].length = sizeof blocks[b].samples;
        blocks[b].owner = (u_int)b;
        blocks[b].stamp = 0x100000000LL + (long long)b;
        memset(blocks[b].samples, 7, sizeof blocks[b].samples);
    }
    int failed = 0;
    long long start = now_ns();
    for (long long i = 0; i < handovers && !failed; i++) {
        for (uint64_t b = 0; b < count; b++) blocks[b].seq = (u_int)i;
        __atomic_add_fetch(&header->generation, 1, __ATOMIC_RELEASE);
        char *argument = name;
        u_quad_t *sum = read_region_1(argument, clnt);
        if (sum == NULL || *sum != count * (uint64_t)(i + 7)) { clnt_perror(clnt, "READ_REGION"); failed = 1; }
    }
    long long elapsed = now_ns() - start;
    munmap(header, size);
    shm_unlink(name);
    if (!failed) printf("%lld %lld\n", (long long)(count * sizeof(bench_block)) * handovers, elapsed);
    return failed;
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
    } else if (strcmp(mode, "sink") == 0) {
        if (argc < used + 3 || sink(clnt, n, atoll(argv[used + 2]))) return 1;
    } else if (strcmp(mode, "region") == 0) {
        if (argc < used + 3 || region(clnt, n, atoll(argv[used + 2]))) return 1;
    } else {
        goto usage;
    }
    clnt_destroy(clnt);
    return 0;
usage:
    fprintf(stderr, "usage: %s tcp HOST PORT | unix PATH, then latency N [plain] | rate SECONDS [plain] [START_NS]"
            " | payload N BYTES | sink N BYTES | region N BYTES\n", argv[0]);
    return 2;
}
