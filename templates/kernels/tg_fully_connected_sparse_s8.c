/* FULLY_CONNECTED, int8, with sparse weights (tg_sparse.h): bit-exact with tg_fully_connected_s8.
 * Only for weights with zero point 0 (filter_offset 0), where a stored 0 contributes nothing. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_sparse.h"

void tg_fully_connected_sparse_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                                  const uint8_t *filter_bitmap, const int8_t *filter_values, const int32_t *bias,
                                  int8_t *output)
{
    const int32_t bitmap_bytes = (p->accum_depth + 7) / 8;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->accum_depth;
        const int8_t *values = filter_values;
        for (int32_t oc = 0; oc < p->output_depth; ++oc) {
            int32_t acc = tg_sparse_dot_s8(filter_bitmap + oc * bitmap_bytes, bitmap_bytes, &values, in,
                                           p->input_offset);
            if (bias) {
                acc += bias[oc];
            }
            const int32_t q = p->per_channel ? oc : 0;
            acc = tg_multiply_by_quantized_multiplier(acc, p->multipliers[q], p->shifts[q]);
            output[b * p->output_depth + oc] = (int8_t)tg_clamp_i32(acc + p->output_offset, p->act_min, p->act_max);
        }
    }
}
