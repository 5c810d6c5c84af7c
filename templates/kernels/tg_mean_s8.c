/* MEAN, int8: sums over the reduced axes in int32 scratch, then one requantization per output
 * with the division by the element count folded into the multiplier (TFLM reference arithmetic). */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_mean_s8(const tg_mean_params_t *p, const int8_t *input, int32_t *scratch_sums, int8_t *output)
{
    for (int32_t o = 0; o < p->output_size; ++o) {
        scratch_sums[o] = 0;
    }
    int32_t input_size = 1;
    for (int d = 0; d < TG_MAX_DIMS; ++d) {
        input_size *= p->input_shape[d];
    }
    int32_t index[TG_MAX_DIMS] = {0};
    int32_t out = 0;
    for (int32_t i = 0; i < input_size; ++i) {
        scratch_sums[out] = (int32_t)((uint32_t)scratch_sums[out] + (uint32_t)(int32_t)input[i]);
        for (int d = TG_MAX_DIMS - 1; d >= 0; --d) {
            out += p->output_strides[d];
            if (++index[d] < p->input_shape[d]) {
                break;
            }
            out -= p->output_strides[d] * p->input_shape[d];
            index[d] = 0;
        }
    }
    for (int32_t o = 0; o < p->output_size; ++o) {
        const int32_t centered = (int32_t)((int64_t)scratch_sums[o] - (int64_t)p->input_zero_point * p->num_reduced);
        const int32_t mean = tg_multiply_by_quantized_multiplier(centered, p->multiplier, p->shift);
        output[o] = (int8_t)tg_clamp_i32(mean + p->output_zero_point, INT8_MIN, INT8_MAX);
    }
}
