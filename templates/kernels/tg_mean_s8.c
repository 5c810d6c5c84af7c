/* MEAN, int8: sums over the reduced axes in int32 scratch, then one requantization per output
 * with the division by the element count folded into the multiplier (TFLM reference arithmetic).
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

/* One int32 sum per output. */
int32_t tg_mean_s8_scratch_bytes(int32_t output_size)
{
    return 4 * output_size;
}

void tg_mean_s8(const tg_mean_params_t *p, const int8_t *input, int32_t *scratch_sums, int8_t *output)
{
    for (int32_t o = 0; o < p->output_size; ++o) {
        scratch_sums[o] = 0;
    }
    int32_t input_size = 1;
    for (int d = 0; d < TG_MAX_DIMS; ++d) {
        input_size *= p->input_shape[d];
    }
    /* The innermost axis is a tight loop; the index walk over the outer axes runs once per row. */
    const int32_t row = p->input_shape[TG_MAX_DIMS - 1], row_stride = p->output_strides[TG_MAX_DIMS - 1];
    int32_t index[TG_MAX_DIMS] = {0};
    int32_t out = 0;
    for (int32_t i = 0; i < input_size; i += row) {
        int32_t *sum = scratch_sums + out;
        for (int32_t k = 0; k < row; ++k, sum += row_stride) {
            *sum = (int32_t)((uint32_t)*sum + (uint32_t)(int32_t)input[i + k]);
        }
        for (int d = TG_MAX_DIMS - 2; d >= 0; --d) {
            out += p->output_strides[d];
            if (++index[d] < p->input_shape[d]) {
                break;
            }
            out -= p->output_strides[d] * p->input_shape[d];
            index[d] = 0;
        }
    }
    /* The zero point's share of every sum, wrapped to 32 bits as the int32 subtraction below wraps. */
    const uint32_t zero_point_sum = (uint32_t)((int64_t)p->input_zero_point * p->num_reduced);
    const tg_clamp_t whole_int8 = {INT8_MIN, INT8_MAX};
    for (int32_t o = 0; o < p->output_size; ++o) {
        const int32_t centered = (int32_t)((uint32_t)scratch_sums[o] - zero_point_sum);
        output[o] = tg_requantize_clamp_s8(centered, p->multiplier, p->shift, p->output_zero_point, whole_int8);
    }
}
