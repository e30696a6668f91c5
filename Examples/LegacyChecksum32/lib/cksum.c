#include "cksum.h"
#include <stdlib.h>
#include <string.h>

#define MAX_STREAMS 64
#define MOD_ADLER 65521u

struct stream { int used; char name[64]; unsigned long a, b; size_t total; };
static struct stream streams[MAX_STREAMS];

/* Handles look like the ones old Windows and Unix libraries hand out: small
 * numbers with the top bit set, so that sign extension matters. */
#define HANDLE_BASE ((long)0x80001000)

static struct stream *find(cksum_handle h) {
    long i = h - HANDLE_BASE;
    return i >= 0 && i < MAX_STREAMS && streams[i].used ? &streams[i] : NULL;
}

cksum_handle cksum_open(const char *name) {
    for (long i = 0; i < MAX_STREAMS; i++) {
        if (!streams[i].used) {
            memset(&streams[i], 0, sizeof streams[i]);
            streams[i].used = 1;
            strncpy(streams[i].name, name, sizeof streams[i].name - 1);
            streams[i].a = 1;
            return HANDLE_BASE + i;
        }
    }
    return -1;
}

static void add(struct stream *s, const unsigned char *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        s->a = (s->a + (p ? p[i] : 0)) % MOD_ADLER;
        s->b = (s->b + s->a) % MOD_ADLER;
    }
    s->total += len;
}

size_t cksum_update(cksum_handle h, const void *data, size_t len) {
    struct stream *s = find(h);
    if (!s) return (size_t)-1;
    add(s, data, len);
    return s->total;
}

size_t cksum_skip(cksum_handle h, size_t count) {
    struct stream *s = find(h);
    if (!s) return (size_t)-1;
    /* zeros leave a unchanged and add a to b count times */
    s->b = (s->b + (unsigned long)((unsigned long long)(count % MOD_ADLER) * s->a % MOD_ADLER)) % MOD_ADLER;
    s->total += count;
    return s->total;
}

unsigned long cksum_value(cksum_handle h) {
    struct stream *s = find(h);
    return s ? (s->b << 16) | s->a : 0;
}

const char *cksum_name(cksum_handle h) {
    struct stream *s = find(h);
    return s ? s->name : "";
}

int cksum_close(cksum_handle h) {
    struct stream *s = find(h);
    if (!s) return -1;
    s->used = 0;
    return 0;
}
