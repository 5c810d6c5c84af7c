/* TANH, int8 in, int8 out (scale 1/128, zero point 0): the input scaled to q4, the gemmlowp
 * fixed-point tanh, rounded to q7 (TFLM reference arithmetic).
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

static int32_t tanh_q4(int32_t a)
{
    if (a == 0) {
        return 0;
    }
    const int32_t negative_abs = a < 0 ? a : -a;
    /* exp(2 * negative_abs): the same raw value read with one more integer bit. */
    const int32_t of_abs = tg_one_minus_x_over_one_plus_x(tg_exp_on_negative_values(negative_abs, 5));
    return a < 0 ? -of_abs : of_abs;
}

void tg_tanh_s8(const tg_sigmoid_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t x_q4 = tg_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
            const int32_t y_q7 = tg_rounding_divide_by_pot(tanh_q4(x_q4), 31 - 7);
            output[i] = (int8_t)tg_clamp_i32(y_q7, INT8_MIN, INT8_MAX);
        }
    }
}
