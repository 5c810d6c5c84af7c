/* CONV_2D and FULLY_CONNECTED, int8, with weights stored as bitmaps of their non-zeros and their values
 * (tg_sparse.h), variant "dsp": two output pixels at a time (tg_sparse_pairs.h, tg_conv_dsp_params_t).
 *
 * Chosen at generation time (tinygen/compiler/sparse.py) on cores with the DSP extension for a layer whose
 * weights take the least flash in the bitmap form, where the portable sparse kernel, which tests every
 * bit, would be slower than the dense DSP kernels. This one visits only the set bits: 32 at a time, each
 * found by count-trailing-zeros (RBIT + CLZ). */
#include "tg_sparse_pairs.h"

int32_t tg_conv_sparse_bitmap_s8_dsp_scratch_bytes(int32_t depth)
{
    return tg_sparse_pairs_scratch_bytes(depth);
}

/* The last 1 to 3 bitmap bytes of a channel as the low bytes of a word. */
static inline uint32_t tail_bits(const uint8_t *bitmap, int32_t bytes)
{
    uint32_t bits = 0;
    for (int32_t k = 0; k < bytes; ++k) {
        bits |= (uint32_t)bitmap[k] << (8 * k);
    }
    return bits;
}

/* acc0, acc1 + the channel's weights (bytes of bitmap, *values) times the pair's inputs; advances *values. */
static inline void bitmap_dot(const uint32_t *pairs, const uint8_t *bitmap, int32_t bytes, const int8_t **values,
                              int32_t *acc0, int32_t *acc1)
{
    const int8_t *value = *values;
    int32_t a0 = *acc0, a1 = *acc1;
    for (int32_t i = 0; i < bytes; i += 4, pairs += 32) {
        uint32_t bits = bytes - i >= 4 ? tg_load_u32((const int8_t *)(const void *)(bitmap + i))
                                       : tail_bits(bitmap + i, bytes - i);
        while (bits != 0u) {
            const uint32_t x = pairs[__builtin_ctz(bits)], w = (uint32_t)*value++;
            bits &= bits - 1u;
            a0 = tg_smlabb(x, w, a0);
            a1 = tg_smlatb(x, w, a1);
        }
    }
    *values = value;
    *acc0 = a0;
    *acc1 = a1;
}

void tg_conv_sparse_bitmap_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const uint8_t *bitmap,
                                  const int8_t *values, const int32_t *folded_bias, uint32_t *scratch,
                                  int8_t *output)
{
    const tg_requant_t requant = p->product.requant;
    const int32_t channels = p->product.channels, bytes = (p->product.depth + 7) / 8;
    tg_sparse_pairs_cursor_t cursor = tg_sparse_pairs_start(input);
    for (int32_t pixels; (pixels = tg_sparse_pairs_next(p, &cursor, scratch)) != 0; output += pixels * channels) {
        const int8_t *value = values;
        for (int32_t c = 0; c < channels; ++c) {
            int32_t acc0 = folded_bias[c], acc1 = acc0;
            bitmap_dot(scratch, bitmap + c * bytes, bytes, &value, &acc0, &acc1);
            tg_sparse_pairs_store(&requant, c, acc0, acc1, pixels, output, output + channels);
        }
    }
}
