/* Sparse int8 weights, as tinygen stores them when that takes less flash than the dense array.
 *
 * The weights of each output channel, in the dense layout's order, become a bitmap of ceil(n / 8)
 * bytes (bit k of byte i set: weight 8 * i + k is non-zero) and their non-zero values. The bitmaps
 * of all channels follow each other in one array, the values in another, channel after channel. */
#ifndef TG_SPARSE_H
#define TG_SPARSE_H

#include <stdint.h>

/* sum over the channel's non-zero weights w[j] of w[j] * (x[j] + x_offset): the dense kernels'
 * accumulation without the products by zero. Advances *values past the channel's values. */
static inline int32_t tg_sparse_dot_s8(const uint8_t *bitmap, int32_t bitmap_bytes, const int8_t **values,
                                       const int8_t *x, int32_t x_offset)
{
    const int8_t *value = *values;
    int32_t acc = 0;
    for (int32_t i = 0; i < bitmap_bytes; ++i) {
        /* One test per bit, unrolled: cheaper than count-trailing-zeros, a library call on Cortex-M0. */
        const uint32_t bits = bitmap[i];
        const int8_t *const x8 = x + 8 * i; /* the inputs of this byte's 8 weights */
        if (bits & 0x01u) { acc += (int32_t)*value++ * ((int32_t)x8[0] + x_offset); }
        if (bits & 0x02u) { acc += (int32_t)*value++ * ((int32_t)x8[1] + x_offset); }
        if (bits & 0x04u) { acc += (int32_t)*value++ * ((int32_t)x8[2] + x_offset); }
        if (bits & 0x08u) { acc += (int32_t)*value++ * ((int32_t)x8[3] + x_offset); }
        if (bits & 0x10u) { acc += (int32_t)*value++ * ((int32_t)x8[4] + x_offset); }
        if (bits & 0x20u) { acc += (int32_t)*value++ * ((int32_t)x8[5] + x_offset); }
        if (bits & 0x40u) { acc += (int32_t)*value++ * ((int32_t)x8[6] + x_offset); }
        if (bits & 0x80u) { acc += (int32_t)*value++ * ((int32_t)x8[7] + x_offset); }
    }
    *values = value;
    return acc;
}

#endif /* TG_SPARSE_H */
