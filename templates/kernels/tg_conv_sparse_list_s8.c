/* CONV_2D and FULLY_CONNECTED, int8, with weights stored as lists of their non-zeros (tg_conv_dsp_params_t),
 * two output pixels at a time (tg_sparse_pairs.h).
 *
 * Chosen at generation time (tinygen/compiler/sparse.py) for a layer whose weights take the least flash
 * in this form, on any core: the halfword multiply-adds are single instructions with the DSP extension
 * and a few plain ones without. Per output channel, the depth is cut into segments of 256 inputs; each
 * segment holds counts[channel][segment] non-zero weights, in input order, with their input index in the
 * segment (indices, a byte) and their value (values). */
#include "tg_sparse_pairs.h"

int32_t tg_conv_sparse_list_s8_scratch_bytes(int32_t depth)
{
    return tg_sparse_pairs_scratch_bytes(depth);
}

/* acc0, acc1 + the segment's count weights times the pair's inputs; advances *indices and *values. */
static inline void list_dot(const uint32_t *pairs, int32_t count, const uint8_t **indices, const int8_t **values,
                            int32_t *acc0, int32_t *acc1)
{
    const uint8_t *index = *indices;
    const int8_t *value = *values;
    int32_t a0 = *acc0, a1 = *acc1;
    for (const uint8_t *const end = index + count; index != end; ++index, ++value) {
        const uint32_t x = pairs[*index], w = (uint32_t)*value;
        a0 = tg_smlabb(x, w, a0);
        a1 = tg_smlatb(x, w, a1);
    }
    *indices = index;
    *values = value;
    *acc0 = a0;
    *acc1 = a1;
}

/* The pair's outputs over all channels. Inlined twice: for depths up to 256 and two pixels, with those constants. */
static inline __attribute__((always_inline)) void pair_outputs(const uint32_t *pairs, int32_t segments,
                                                               const uint8_t *counts, const uint8_t *indices,
                                                               const int8_t *values, const int32_t *folded_bias,
                                                               const tg_requant_t *requant, int32_t channels,
                                                               int32_t pixels, int8_t *output)
{
    for (int32_t c = 0; c < channels; ++c) {
        int32_t acc0 = folded_bias[c], acc1 = acc0;
        for (int32_t s = 0; s < segments; ++s) {
            list_dot(pairs + 256 * s, *counts++, &indices, &values, &acc0, &acc1);
        }
        tg_sparse_pairs_store(requant, c, acc0, acc1, pixels, output, output + channels);
    }
}

void tg_conv_sparse_list_s8(const tg_conv_dsp_params_t *p, const int8_t *input, const uint8_t *counts,
                            const uint8_t *indices, const int8_t *values, const int32_t *folded_bias,
                            uint32_t *scratch, int8_t *output)
{
    const tg_requant_t requant = p->product.requant;
    const int32_t channels = p->product.channels, segments = (p->product.depth + 255) / 256;
    tg_sparse_pairs_cursor_t cursor = tg_sparse_pairs_start(input);
    for (int32_t pixels; (pixels = tg_sparse_pairs_next(p, &cursor, scratch)) != 0; output += pixels * channels) {
        if (segments == 1 && pixels == 2) {
            pair_outputs(scratch, 1, counts, indices, values, folded_bias, &requant, channels, 2, output);
        } else {
            pair_outputs(scratch, segments, counts, indices, values, folded_bias, &requant, channels, pixels, output);
        }
    }
}
