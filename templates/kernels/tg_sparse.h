/* Sparse int8 weights, as tinygen stores them when that takes less flash than the dense array.
 *
 * The weights of each output channel, in the dense layout's order, become a bitmap of ceil(n / 8)
 * bytes (bit k of byte i set: weight 8 * i + k is non-zero) and their non-zero values. The bitmaps
 * of all channels follow each other in one array, the values in another, channel after channel.
 *
 * The kernels take the input offset folded into the bias (compiler/sparse.py), so a product here is
 * weight * input. Full bitmap bytes test their 8 bits unrolled (cheaper than count-trailing-zeros, a
 * library call on Cortex-M0); the last byte tests only the bits that hold weights. */
#ifndef TG_SPARSE_H
#define TG_SPARSE_H

#include <stdint.h>

/* sum over the channel's n weights of w[j] * x[j], the products by zero skipped. Advances *values
 * past the channel's values. */
static inline int32_t tg_sparse_dot_s8(const uint8_t *bitmap, int32_t n, const int8_t **values, const int8_t *x)
{
    const int8_t *value = *values;
    int32_t acc = 0;
    const uint8_t *const full_end = bitmap + n / 8;
    for (; bitmap != full_end; ++bitmap, x += 8) {
        const uint32_t bits = *bitmap;
        if (bits & 0x01u) { acc += *value++ * x[0]; }
        if (bits & 0x02u) { acc += *value++ * x[1]; }
        if (bits & 0x04u) { acc += *value++ * x[2]; }
        if (bits & 0x08u) { acc += *value++ * x[3]; }
        if (bits & 0x10u) { acc += *value++ * x[4]; }
        if (bits & 0x20u) { acc += *value++ * x[5]; }
        if (bits & 0x40u) { acc += *value++ * x[6]; }
        if (bits & 0x80u) { acc += *value++ * x[7]; }
    }
    for (uint32_t bits = n % 8 ? *bitmap : 0; bits; bits >>= 1, ++x) {
        if (bits & 1u) { acc += *value++ * x[0]; }
    }
    *values = value;
    return acc;
}

/* tg_sparse_dot_s8 for two inputs at once, interleaved in pair: pair[2 * j] and pair[2 * j + 1] are
 * the inputs of weight j. Adds the two sums to acc[0] and acc[1]. */
static inline void tg_sparse_dot2_s8(const uint8_t *bitmap, int32_t n, const int8_t **values, const int8_t *pair,
                                     int32_t acc[2])
{
    const int8_t *value = *values;
    int32_t acc0 = acc[0], acc1 = acc[1];
    const uint8_t *const full_end = bitmap + n / 8;
    for (; bitmap != full_end; ++bitmap, pair += 16) {
        const uint32_t bits = *bitmap;
        int32_t w;
        if (bits & 0x01u) { w = *value++; acc0 += w * pair[0]; acc1 += w * pair[1]; }
        if (bits & 0x02u) { w = *value++; acc0 += w * pair[2]; acc1 += w * pair[3]; }
        if (bits & 0x04u) { w = *value++; acc0 += w * pair[4]; acc1 += w * pair[5]; }
        if (bits & 0x08u) { w = *value++; acc0 += w * pair[6]; acc1 += w * pair[7]; }
        if (bits & 0x10u) { w = *value++; acc0 += w * pair[8]; acc1 += w * pair[9]; }
        if (bits & 0x20u) { w = *value++; acc0 += w * pair[10]; acc1 += w * pair[11]; }
        if (bits & 0x40u) { w = *value++; acc0 += w * pair[12]; acc1 += w * pair[13]; }
        if (bits & 0x80u) { w = *value++; acc0 += w * pair[14]; acc1 += w * pair[15]; }
    }
    for (uint32_t bits = n % 8 ? *bitmap : 0; bits; bits >>= 1, pair += 2) {
        if (bits & 1u) {
            const int32_t w = *value++;
            acc0 += w * pair[0];
            acc1 += w * pair[1];
        }
    }
    *values = value;
    acc[0] = acc0;
    acc[1] = acc1;
}

#endif /* TG_SPARSE_H */
