/* ADD and MUL of two int8 inputs of one shape (tg_add_same_shape_params_t, tg_mul_same_shape_params_t):
 * TFLM's arithmetic (tg_add_s8.c, tg_mul_s8.c) as the generator arranges it (tinygen/compiler/ops/
 * elementwise.py), shared by the portable kernels (tg_<op>_same_shape_s8.c) and the DSP ones
 * (tg_<op>_s8_dsp.c).
 *
 * ADD: TFLM rescales each input's (x + offset) * 2^20 by the ratio of its scale to twice the larger one,
 * sums, and rescales the sum to the output. For the input with the larger scale the ratio is 1/2:
 * multiplier 2^30 and shift 0, so its rescaled value is exactly (x + offset) * 2^19, a shift (the
 * generator passes this "exact" input first). The other input's rescaling and the output's are
 * tg_rescale_dsp (tg_requant_dsp.h): one SMMLAR each on a core with the DSP extension, one SMLAL (its
 * C model) on the others. When the scales are equal the second input is exact too: the generator adds
 * 256 to its offset, which makes the value positive (tg_rescale_dsp then needs no right shift), and
 * takes 256 * 2^19 back in the rounding constant.
 *
 * MUL: TFLM requantizes the product of the offset inputs, at most 255 * 255 in magnitude: one
 * tg_rescale_dsp. */
#ifndef TG_SAME_SHAPE_H
#define TG_SAME_SHAPE_H

#include "tg_kernels.h"
#include "tg_requant_dsp.h"

/* An op's output for one pair of input values, each with its offset added, before the clamp. */
typedef int32_t tg_pair_value_t(const void *params, int32_t value1, int32_t value2);

static inline int32_t tg_add_same_shape_value(const void *params, int32_t exact, int32_t scaled)
{
    const tg_add_same_shape_params_t *p = params;
    const tg_rescale_t *s = &p->scaled, *o = &p->output;
    const int32_t sum = tg_shift_left_i32(exact, 19) +
                        tg_rescale_dsp(tg_shift_left_i32(scaled, 20), s->multiplier, s->rounding, s->right_shift);
    return tg_rescale_dsp(sum, o->multiplier, o->rounding, o->right_shift);
}

static inline int32_t tg_mul_same_shape_value(const void *params, int32_t input1, int32_t input2)
{
    const tg_mul_same_shape_params_t *p = params;
    return tg_rescale_dsp(input1 * input2, p->output.multiplier, p->output.rounding, p->output.right_shift);
}

/* The output's elements `from` to e->size - 1, one at a time. Inlined with a constant value function,
 * which then inlines too. */
__attribute__((always_inline)) static inline void tg_same_shape_elements(const tg_same_shape_t *e, const void *params,
                                                                        tg_pair_value_t *value, int32_t from,
                                                                        const int8_t *input1, const int8_t *input2,
                                                                        int8_t *output)
{
    for (int32_t i = from; i < e->size; ++i) {
        const int32_t result = value(params, input1[i] + e->input1_offset, input2[i] + e->input2_offset);
        output[i] = (int8_t)tg_clamp_i32(result, e->clamp.act_min, e->clamp.act_max);
    }
}

#endif /* TG_SAME_SHAPE_H */
