#include "generated/lp64/crossbit_sample.h"
#define XDR_ROUTINE(name) xdr_##name
#define ROUNDTRIP csample_roundtrip_lp64
#include "roundtrip_body.h"
