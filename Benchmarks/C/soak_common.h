/*
 * What the soak's 32-bit C peers share (Benchmarks/IDL/crossbit_soak.x,
 * lowered for ILP32): the arguments of call SEQ of client CLIENT, and the
 * answer a server computes from them. The 64-bit Swift peers
 * (Benchmarks/Sources/crossbit-soak/SoakValues.swift) compute the same.
 */
#ifndef SOAK_COMMON_H
#define SOAK_COMMON_H
#include <stdint.h>
#include "crossbit_soak.h"

/* splitmix64: the value stream both languages draw arguments from. */
static inline uint64_t soak_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Argument number N of call SEQ of client CLIENT. */
static inline uint64_t soak_draw(u_int client, u_int seq, u_int n) {
    return soak_mix(((uint64_t)client << 40) ^ ((uint64_t)seq << 8) ^ n);
}

/* Fills `args` (and `sizes`, at least SOAK_MAX_SIZES long) for call SEQ of CLIENT:
 * every value within the range whose answer fits 32 bits. */
static inline void soak_fill(soak_args *args, u_int *sizes, u_int client, u_int seq) {
    args->client = client;
    args->seq = seq;
    args->size = (u_int)(soak_draw(client, seq, 1) & 0x7fffffff);
    args->offset = (int)((int64_t)(soak_draw(client, seq, 2) % 0xffffffffULL) - 0x7fffffffLL);
    args->delta = (int)((int64_t)(soak_draw(client, seq, 3) % 0xffffffffULL) - 0x7fffffffLL);
    args->address = (u_int)soak_draw(client, seq, 4);
    args->handle = (u_int)soak_draw(client, seq, 5);
    args->when = (int)((int64_t)(soak_draw(client, seq, 6) % 0xffffffc4ULL) - 0x80000000LL);
    args->wide = soak_draw(client, seq, 7);
    u_int count = (u_int)(soak_draw(client, seq, 8) % (SOAK_MAX_SIZES + 1));
    for (u_int i = 0; i < count; i++) sizes[i] = (u_int)(soak_draw(client, seq, 9 + i) & 0x7ffffff);
    args->sizes.sizes_len = count;
    args->sizes.sizes_val = sizes;
}

/* The answer to `args`, computed in this program's widths. */
static inline void soak_answer_of(const soak_args *args, soak_answer *answer) {
    answer->client = args->client;
    answer->seq = args->seq;
    answer->size = args->size + 1;
    answer->offset = -args->offset;
    answer->delta = args->delta - 1;
    answer->address = args->address ^ 0xffff;
    answer->handle = args->handle + 2;
    answer->when = args->when + 60;
    answer->wide = args->wide * 3;
    answer->total = 0;
    for (u_int i = 0; i < args->sizes.sizes_len; i++) answer->total += args->sizes.sizes_val[i];
    answer->bits = (u_int)(sizeof(void *) * 8);
}
#endif
