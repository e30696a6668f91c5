#include "generated/ilp32/crossbit_sample.h"
#define XDR_ROUTINE(name) xdr_ilp32_##name
#define ROUNDTRIP csample_roundtrip_ilp32
#include "roundtrip_body.h"

int csample_type_count(void) { return (int)(sizeof types / sizeof types[0]); }
