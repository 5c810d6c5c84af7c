/* ADD of two int8 inputs of one shape (tg_add_same_shape_params_t): TFLM's arithmetic (tg_add_s8.c)
 * as the generator rearranges it (tinygen/compiler/ops/elementwise.py), shared by the portable kernel
 * (tg_add_same_shape_s8.c) and the DSP one (tg_add_s8_dsp.c).
 *
 * TFLM rescales each input's (x + offset) * 2^20 by the ratio of its scale to twice the larger one,
 * sums, and rescales the sum to the output. For the input with the larger scale the ratio is 1/2:
 * multiplier 2^30 and shift 0, so its rescaled value is exactly (x + offset) * 2^19, a shift. The
 * other input's rescaling and the output's are tg_rescale_dsp (tg_requant_dsp.h): one SMMLAR each on
 * a core with the DSP extension, one SMLAL (its C model) on the others. When the scales are equal the
 * second input is exact too: the generator adds 256 to its offset, which makes the value positive
 * (tg_rescale_dsp then needs no right shift), and takes 256 * 2^19 back in the rounding constant. */
#ifndef TG_ADD_SAME_SHAPE_H
#define TG_ADD_SAME_SHAPE_H

#include "tg_kernels.h"
#include "tg_requant_dsp.h"

/* The output for one pair of input values, each with its offset added, before the activation's clamp. */
static inline int32_t tg_add_same_shape_value(const tg_add_same_shape_params_t *p, int32_t exact, int32_t scaled)
{
    const tg_rescale_t *s = &p->scaled, *o = &p->output;
    const int32_t sum = tg_shift_left_i32(exact, 19) +
                        tg_rescale_dsp(tg_shift_left_i32(scaled, 20), s->multiplier, s->rounding, s->right_shift);
    return tg_rescale_dsp(sum, o->multiplier, o->rounding, o->right_shift);
}

#endif /* TG_ADD_SAME_SHAPE_H */
