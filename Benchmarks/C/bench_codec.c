/*
 * The C baseline of the codec rows: rpcgen's XDR routines encoding a value
 * into memory and decoding it back, in a loop, for about SECONDS seconds.
 * Usage: bench_codec flat|batch|payload SECONDS
 * Prints: "<bytes per value> <iterations> <nanoseconds>".
 * The values match those of the Swift side (see Benchmarks/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crossbit_bench.h"

#define ITEMS 1000
#define PAYLOAD (1024 * 1024)

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char names[ITEMS][16];
static char blobs[ITEMS][64];

static void fill_flat(bench_flat *v) {
    v->a = -123456; v->b = 4000000000u; v->c = -9000000000LL; v->d = 18000000000ULL;
    v->e = 1; v->f = 3.25; v->g = 1.5f; v->h = 42;
}

static void fill_batch(bench_batch *v) {
    bench_item *items = calloc(ITEMS, sizeof(bench_item));
    for (int i = 0; i < ITEMS; i++) {
        snprintf(names[i], sizeof names[i], "item-%05d", i);
        for (int j = 0; j < 64; j++) blobs[i][j] = (char)(i + j);
        items[i].id = i;
        items[i].flags = (unsigned)i * 7u;
        items[i].stamp = 1700000000000LL + i;
        items[i].name = names[i];
        items[i].blob.blob_len = 64;
        items[i].blob.blob_val = blobs[i];
        items[i].length = (unsigned)i * 1024u;
        items[i].owner = (unsigned)(i + 1);
    }
    v->items.items_len = ITEMS;
    v->items.items_val = items;
}

static void fill_payload(bench_payload *v) {
    v->bench_payload_len = PAYLOAD;
    v->bench_payload_val = malloc(PAYLOAD);
    for (int i = 0; i < PAYLOAD; i++) v->bench_payload_val[i] = (char)i;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s flat|batch|payload SECONDS\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[2]);
    xdrproc_t proc;
    void *value;
    size_t size;
    static bench_flat flat;
    static bench_batch batch;
    static bench_payload payload;
    if (strcmp(argv[1], "flat") == 0) {
        fill_flat(&flat); proc = (xdrproc_t)xdr_bench_flat; value = &flat; size = sizeof flat;
    } else if (strcmp(argv[1], "batch") == 0) {
        fill_batch(&batch); proc = (xdrproc_t)xdr_bench_batch; value = &batch; size = sizeof batch;
    } else if (strcmp(argv[1], "payload") == 0) {
        fill_payload(&payload); proc = (xdrproc_t)xdr_bench_payload; value = &payload; size = sizeof payload;
    } else {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    u_int capacity = 4 * PAYLOAD;
    char *buffer = malloc(capacity);
    void *decoded = calloc(1, size);
    long long iterations = 0, start = now_ns(), deadline = start + (long long)(seconds * 1e9);
    u_int encoded = 0;
    long long t;
    do {
        for (int k = 0; k < 16; k++) {
            XDR x;
            xdrmem_create(&x, buffer, capacity, XDR_ENCODE);
            if (!proc(&x, value)) { fprintf(stderr, "encode failed\n"); return 1; }
            encoded = xdr_getpos(&x);
            xdr_destroy(&x);
            xdrmem_create(&x, buffer, encoded, XDR_DECODE);
            memset(decoded, 0, size);
            if (!proc(&x, decoded)) { fprintf(stderr, "decode failed\n"); return 1; }
            xdr_destroy(&x);
            xdr_free(proc, decoded);
        }
        iterations += 16;
        t = now_ns();
    } while (t < deadline);
    printf("%u %lld %lld\n", encoded, iterations, t - start);
    return 0;
}
