/* DEQUANTIZE from int8 to float32: scale * (q - zero point), computed in double then narrowed, as in
 * TFLM's reference kernel.
 * Portable C, the only variant: chosen on every core. */
#include "tg_kernels.h"

void tg_dequantize_s8_f32(const tg_affine_params_t *p, const int8_t *input, float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (float)(p->scale * (double)(input[i] - p->zero_point));
    }
}
