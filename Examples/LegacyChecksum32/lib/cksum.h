/* libcksum: a small legacy 32-bit checksum library (Adler-32 over a stream).
 * Its API is the kind 32-bit code is full of: sizes are size_t, the running
 * value is an unsigned long, and streams are opaque long handles. */
#ifndef CKSUM_H
#define CKSUM_H
#include <stddef.h>

typedef long cksum_handle;            /* a stream; -1 is the invalid handle */

cksum_handle cksum_open(const char *name);
/* Adds len bytes to the stream; returns the stream's total length, or (size_t)-1 on a bad handle. */
size_t cksum_update(cksum_handle h, const void *data, size_t len);
/* Adds `count` zero bytes without a buffer (a sparse region); returns the total length. */
size_t cksum_skip(cksum_handle h, size_t count);
unsigned long cksum_value(cksum_handle h);
const char *cksum_name(cksum_handle h);
int cksum_close(cksum_handle h);

#endif
