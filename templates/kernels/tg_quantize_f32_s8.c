/* QUANTIZE from float32 to int8: round(x / scale) + zero point, the division done in double as in
 * TFLM's reference kernel.
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_quantize_f32_s8(const tg_affine_params_t *p, const float *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t q = (int32_t)tg_round_half_away((double)input[i] / p->scale) + p->zero_point;
        output[i] = (int8_t)tg_clamp_i32(q, INT8_MIN, INT8_MAX);
    }
}
