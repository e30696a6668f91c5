#ifndef CSAMPLE_XDR_H
#define CSAMPLE_XDR_H

#include <stddef.h>
#include <stdint.h>

/// How many types of crossbit_sample.x the functions below know, in SampleTypes.all's order.
int csample_type_count(void);

/// Decodes `size` bytes as type `type` with rpcgen's routines for the ILP32 (or LP64) lowering of
/// crossbit_sample.x, then encodes the value again into `out` (`capacity` bytes). Returns the number of bytes
/// the decoder consumed, -1 when it refused them, -2 when the value did not encode again; `*written` is the
/// length of the encoding.
int csample_roundtrip_ilp32(int type, const uint8_t *data, size_t size, uint8_t *out, size_t capacity,
                            size_t *written);
int csample_roundtrip_lp64(int type, const uint8_t *data, size_t size, uint8_t *out, size_t capacity,
                           size_t *written);

#endif
