/*
 * A 32-bit client of `make soak`: rpcgen's client stub of SOAK_TO64 or
 * SOAK_ACT64 (Benchmarks/IDL/crossbit_soak.x lowered for ILP32), found
 * through rpcbind like any legacy client, calling in a loop for SECONDS and
 * checking every answer. After a failed call (a typed error: libtirpc's
 * clnt_stat) it drops the connection, waits 50 ms and makes the same call
 * again on a new one.
 * Usage: soak_client HOST to64|act64 CLIENT SECONDS PAUSE_MS
 * Prints one line at the end:
 *   SOAK calls=N ok=N wrong=N unanswered=0 errors=KIND:N,...
 * and each wrong answer on standard error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "soak_common.h"

typedef soak_answer *(*soak_stub)(soak_args, CLIENT *);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Failures by kind: clnt_stat values, and "create:" ones for clnt_create. */
static unsigned long failures[2][64];

static void count_failure(int creating, enum clnt_stat stat) {
    failures[creating][(unsigned)stat < 64 ? (unsigned)stat : 63]++;
}

static int same(const soak_answer *a, const soak_answer *b) {
    return a->client == b->client && a->seq == b->seq && a->size == b->size && a->offset == b->offset
        && a->delta == b->delta && a->address == b->address && a->handle == b->handle && a->when == b->when
        && a->wide == b->wide && a->total == b->total && a->bits == b->bits;
}

static void print_answer(const char *label, const soak_answer *a) {
    fprintf(stderr, "  %s: client=%u seq=%u size=%u offset=%d delta=%d address=%u handle=%u when=%d "
            "wide=%llu total=%u bits=%u\n", label, a->client, a->seq, a->size, a->offset, a->delta, a->address,
            a->handle, a->when, (unsigned long long)a->wide, a->total, a->bits);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST to64|act64 CLIENT SECONDS PAUSE_MS\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int activated = strcmp(argv[2], "act64") == 0;
    u_long program = activated ? SOAK_ACT64 : SOAK_TO64;
    soak_stub stub = activated ? soak_act64_step_1 : soak_to64_step_1;
    u_int client_id = (u_int)strtoul(argv[3], NULL, 10);
    double deadline = now() + atof(argv[4]);
    useconds_t pause = (useconds_t)atoi(argv[5]) * 1000;
    struct timeval timeout = { 20, 0 };
    unsigned long calls = 0, ok = 0, wrong = 0;
    CLIENT *clnt = NULL;
    u_int seq = 0;
    u_int sizes[SOAK_MAX_SIZES];
    while (now() < deadline) {
        calls++;
        if (clnt == NULL) {
            clnt = clnt_create(host, program, 1, "tcp");
            if (clnt == NULL) {
                count_failure(1, rpc_createerr.cf_stat);
                usleep(50000);
                continue;
            }
            clnt_control(clnt, CLSET_TIMEOUT, (char *)&timeout);
        }
        soak_args args;
        soak_answer expected;
        soak_fill(&args, sizes, client_id, seq);
        soak_answer_of(&args, &expected);
        expected.bits = 64;
        soak_answer *answer = stub(args, clnt);
        if (answer == NULL) {
            struct rpc_err error;
            clnt_geterr(clnt, &error);
            count_failure(0, error.re_status);
            clnt_destroy(clnt);
            clnt = NULL;
            usleep(50000);
            continue;
        }
        if (same(answer, &expected)) {
            ok++;
        } else {
            wrong++;
            fprintf(stderr, "soak_client %u: wrong answer to call %u of %s\n", client_id, seq, argv[2]);
            print_answer("expected", &expected);
            print_answer("received", answer);
        }
        seq++;
        if (pause) usleep(pause);
    }
    if (clnt != NULL) clnt_destroy(clnt);
    printf("SOAK calls=%lu ok=%lu wrong=%lu unanswered=0 errors=", calls, ok, wrong);
    const char *separator = "";
    for (int creating = 0; creating < 2; creating++) {
        for (int stat = 0; stat < 64; stat++) {
            if (failures[creating][stat] == 0) continue;
            /* clnt_sperrno's text, without spaces: "RPC: Unable to receive" -> "C:Unable_to_receive". */
            const char *text = clnt_sperrno((enum clnt_stat)stat);
            if (strncmp(text, "RPC: ", 5) == 0) text += 5;
            char kind[80];
            snprintf(kind, sizeof kind, "C%s:%s", creating ? "-create" : "", text);
            for (char *c = kind; *c; c++) if (*c == ' ' || *c == ',' || *c == '=') *c = '_';
            printf("%s%s=%lu", separator, kind, failures[creating][stat]);
            separator = ",";
        }
    }
    printf("\n");
    return 0;
}
