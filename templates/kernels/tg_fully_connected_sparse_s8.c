/* FULLY_CONNECTED, int8, with sparse weights (tg_sparse.h): bit-exact with tg_fully_connected_s8.
 * Portable C, chosen by compiler/sparse.py for weights with zero point 0 (filter_offset 0, where a
 * stored 0 contributes nothing) that take less flash sparse. folded_bias is bias + input_offset * sum
 * of the unit's weights. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_sparse.h"

void tg_fully_connected_sparse_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                                  const uint8_t *filter_bitmap, const int8_t *filter_values,
                                  const int32_t *folded_bias, int8_t *output)
{
    const tg_channel_requant_t *r = &p->requant;
    const int32_t bitmap_bytes = (p->accum_depth + 7) / 8;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->accum_depth;
        const int8_t *values = filter_values;
        const uint8_t *bitmap = filter_bitmap;
        for (int32_t oc = 0; oc < p->output_depth; ++oc, bitmap += bitmap_bytes) {
            const int32_t acc = folded_bias[oc] + tg_sparse_dot_s8(bitmap, p->accum_depth, &values, in);
            const int32_t q = p->per_channel ? oc : 0;
            *out++ = tg_requantize_clamp_s8(acc, r->multipliers[q], r->shifts[q], r->output_offset, r->clamp);
        }
    }
}
