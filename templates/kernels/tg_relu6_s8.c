/* RELU6, int8: a clamp between the quantized 0 and 6 of the input scale (TFLM keeps the input's
 * quantization for the output).
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_relu6_s8(const tg_clamp_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int8_t)tg_clamp_i32(input[i], p->clamp.act_min, p->clamp.act_max);
    }
}
