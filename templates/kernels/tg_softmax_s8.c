/* SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128), in the fixed-point arithmetic TFLM's
 * reference kernel uses: exp of the scaled differences to the row maximum in q5, their sum in q12,
 * one reciprocal per row.
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

enum { TG_SOFTMAX_DIFF_INTEGER_BITS = 5, TG_SOFTMAX_ACCUM_INTEGER_BITS = 12 };

/* Not inlined: its two callers would each get a copy of the exponential's long sequence. */
static __attribute__((noinline)) int32_t exp_of_scaled_diff(const tg_softmax_params_t *p, int32_t diff)
{
    const int32_t diff_q5 = tg_sat_rounding_doubling_high_mul(tg_shift_left_i32(diff, p->input_left_shift),
                                                              p->input_multiplier);
    return tg_exp_on_negative_values(diff_q5, TG_SOFTMAX_DIFF_INTEGER_BITS);
}

void tg_softmax_s8(const tg_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t row = 0; row < p->outer_size; ++row) {
        const int8_t *in = input + row * p->depth;
        int8_t *out = output + row * p->depth;
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = tg_max_i32(max_in_row, in[c]);
        }
        int32_t sum_of_exps_q12 = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= p->diff_min) {
                sum_of_exps_q12 += tg_rounding_divide_by_pot(exp_of_scaled_diff(p, diff), TG_SOFTMAX_ACCUM_INTEGER_BITS);
            }
        }
        /* 1 / sum as a q0 number and a power of two: sum = 2^bits_over_unit * (1 + x). */
        const int headroom_plus_one = __builtin_clz((uint32_t)sum_of_exps_q12);
        const int bits_over_unit = TG_SOFTMAX_ACCUM_INTEGER_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps_q12 << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t reciprocal_q0 = tg_one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t probability = tg_sat_rounding_doubling_high_mul(reciprocal_q0, exp_of_scaled_diff(p, diff));
                const int32_t scaled = tg_rounding_divide_by_pot(probability, bits_over_unit + 31 - 8);
                out[c] = (int8_t)tg_clamp_i32(scaled + INT8_MIN, INT8_MIN, INT8_MAX);
            } else {
                out[c] = INT8_MIN;
            }
        }
    }
}
