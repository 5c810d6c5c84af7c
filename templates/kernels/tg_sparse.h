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
        /* Visits only the set bits: count-trailing-zeros is RBIT + CLZ on Cortex-M3 and up. */
        for (uint32_t bits = bitmap[i]; bits != 0; bits &= bits - 1) {
            const int32_t j = 8 * i + __builtin_ctz(bits);
            acc += (int32_t)*value++ * ((int32_t)x[j] + x_offset);
        }
    }
    *values = value;
    return acc;
}

#endif /* TG_SPARSE_H */
