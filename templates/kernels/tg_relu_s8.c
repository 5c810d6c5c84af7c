/* RELU, int8: requantize from the input's to the output's scale, then clamp at the quantized zero.
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_relu_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tg_requantize_clamp_s8(input[i] - p->input_zero_point, p->output.multiplier, p->output.shift,
                                           p->output.output_offset, p->output.clamp);
    }
}
