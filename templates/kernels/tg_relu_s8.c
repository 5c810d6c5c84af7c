/* RELU, int8: requantize from the input's to the output's scale, then clamp at the quantized zero.
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_relu_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t scaled = tg_multiply_by_quantized_multiplier(input[i] - p->input_zero_point,
                                                                   p->output_multiplier, p->output_shift);
        output[i] = (int8_t)tg_clamp_i32(scaled + p->output_zero_point, p->act_min, p->act_max);
    }
}
