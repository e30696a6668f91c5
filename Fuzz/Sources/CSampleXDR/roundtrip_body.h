/* The body of csample_roundtrip_LAYOUT, included once per layout (ilp32.c, lp64.c) after that layout's
   rpcgen header; XDR_ROUTINE(name) names the layout's routine, ROUNDTRIP the function. */
#include <stdlib.h>
#include "csample_xdr.h"

static const struct {
    xdrproc_t routine;
    size_t size;
} types[] = {
    {(xdrproc_t)XDR_ROUTINE(sample_kind), sizeof(sample_kind)},
    {(xdrproc_t)XDR_ROUTINE(sample_widths), sizeof(sample_widths)},
    {(xdrproc_t)XDR_ROUTINE(sample_resource), sizeof(sample_resource)},
    {(xdrproc_t)XDR_ROUTINE(sample_buffer), sizeof(sample_buffer)},
    {(xdrproc_t)XDR_ROUTINE(sample_node), sizeof(sample_node)},
    {(xdrproc_t)XDR_ROUTINE(sample_batch), sizeof(sample_batch)},
    {(xdrproc_t)XDR_ROUTINE(sample_result), sizeof(sample_result)},
    {(xdrproc_t)XDR_ROUTINE(sample_value), sizeof(sample_value)},
};

int ROUNDTRIP(int type, const uint8_t *data, size_t size, uint8_t *out, size_t capacity, size_t *written) {
    *written = 0;
    if (type < 0 || type >= (int)(sizeof types / sizeof types[0])) return -1;
    void *value = calloc(1, types[type].size);
    if (value == NULL) abort();
    XDR decoder;
    xdrmem_create(&decoder, (char *)data, (u_int)size, XDR_DECODE);
    int consumed = -1;
    if (types[type].routine(&decoder, value, 0)) {
        consumed = (int)xdr_getpos(&decoder);
        XDR encoder;
        xdrmem_create(&encoder, (char *)out, (u_int)capacity, XDR_ENCODE);
        if (types[type].routine(&encoder, value, 0)) {
            *written = xdr_getpos(&encoder);
        } else {
            consumed = -2;
        }
        xdr_destroy(&encoder);
    }
    xdr_destroy(&decoder);
    xdr_free(types[type].routine, value);
    free(value);
    return consumed;
}
