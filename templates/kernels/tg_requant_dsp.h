/* TFLM's requantization of an int32 accumulator to int8 (tg_requant_t), in the fewest instructions
 * the DSP extension allows, for the accumulators the generator has bounded (tinygen/compiler/
 * requant_dsp.py decides, per layer, that these conditions hold, or keeps the layer portable).
 *
 * TFLM computes round_half_away(srdhm(acc, m) / 2^r) + output_offset with
 * srdhm(acc, m) = floor((acc * m + 2^30) / 2^31) (for m >= 0; tg_fixedpoint.h) and r >= 1 here. With
 * |acc| < 2^30, SMMLAR(2 * acc, m, n) = n + floor((2 * acc * m + 2^31) / 2^32) is srdhm + n in one
 * instruction. Rounding half away from zero is floor((h + 2^(r-1) - [h < 0]) / 2^r); h < 0 implies
 * acc < 0, and when acc < 0 but h = 0 subtracting 1 changes nothing (2^(r-1) - 1 < 2^r), so the sign
 * of acc can stand in for h's. The output offset times 2^r joins the rounding constant n, exact
 * because the shift floors, and so does the sign term: SMMLAR(a, m, n - 1) = SMMLAR(a, m, n) - 1.
 *
 * tg_rescale_dsp, the same without the clamp, also serves the ADD and MUL kernels for inputs of one
 * shape (tg_same_shape.h) on every core: without the DSP extension, tg_acle.h's C model of
 * tg_smmlar_signed compiles to one SMLAL and two ADDs on Armv7-M. */
#ifndef TG_REQUANT_DSP_H
#define TG_REQUANT_DSP_H

#include "tg_acle.h"
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

/* tg_rescale_dsp of an accumulator its kernel has doubled already, doubled = 2 * acc (weights and bias
 * made twice as large at generation time): one instruction fewer. */
static inline int32_t tg_rescale_doubled_dsp(int32_t doubled, int32_t multiplier, int32_t rounding,
                                             int32_t right_shift)
{
    return tg_smmlar_signed(doubled, multiplier, rounding) >> right_shift;
}

/* acc (|acc| < 2^30) requantized by multiplier >= 0 and right_shift >= 1, plus the offset folded into
 * rounding = 2^(right_shift - 1) + offset * 2^right_shift, before any clamp. The sign term joins the
 * rounding before the multiply. With acc >= 0 a right_shift of 0 and rounding = offset also give
 * TFLM's value (the sign term is then 0). */
static inline int32_t tg_rescale_dsp(int32_t acc, int32_t multiplier, int32_t rounding, int32_t right_shift)
{
    return tg_rescale_doubled_dsp(tg_shift_left_i32(acc, 1), multiplier, rounding, right_shift);
}

/* Twice tg_rescale_doubled_dsp's value, plus 0 or 1 (the last halving is left to the caller: SSAT does it
 * in the same instruction, tg_ssat8_halved), for right shift r = rounding_shift + 1 >= 1 and the output offset
 * in offset_rounding = 2 * offset + 1 (tg_requant_t). Two floor divisions make one,
 * floor((h + 2^(r-1) + offset * 2^r) / 2^r) = floor(floor((h + (2 * offset + 1) * 2^(r-1)) / 2^(r-1)) / 2),
 * so the rounding constant is one shift of a per-layer constant instead of a per-channel table, and
 * rounding_shift is both that shift and the right shift. */
static inline int32_t tg_requantize_twice_dsp(int32_t doubled, int32_t multiplier, int32_t offset_rounding,
                                              int32_t rounding_shift)
{
    return tg_rescale_doubled_dsp(doubled, multiplier, tg_shift_left_i32(offset_rounding, rounding_shift),
                                  rounding_shift);
}

/* tg_requantize_twice_dsp with offset_rounding added after the shift, exactly as floor((x + c * 2^s) / 2^s) =
 * floor(x / 2^s) + c: an ADD per output in place of a rounding constant per channel, for loops that requantize
 * each channel once (a loop over pixels does better to keep the channel's rounding constant). */
static inline int32_t tg_requantize_twice_offset_after_dsp(int32_t doubled, int32_t multiplier, int32_t offset_rounding,
                                                           int32_t rounding_shift)
{
    return (tg_smmlar_sign(doubled, multiplier) >> rounding_shift) + offset_rounding;
}

/* tg_requantize_twice_dsp of the accumulator of output channel q. */
static inline int32_t tg_requantize_dsp_twice(int32_t acc, const tg_requant_t *r, int32_t q)
{
    return tg_requantize_twice_dsp(tg_shift_left_i32(acc, 1), r->multipliers[q], r->offset_rounding,
                                   r->rounding_shifts[q]);
}

/* The accumulator of output channel q requantized and moved to the output zero point, not clamped. */
static inline int32_t tg_requantize_dsp_unclamped(int32_t acc, const tg_requant_t *r, int32_t q)
{
    return tg_requantize_dsp_twice(acc, r, q) >> 1;
}

/* The accumulator of output channel q, doubled already (doubled = 2 * acc), requantized, moved to the output
 * zero point and clamped. */
static inline int8_t tg_requantize_doubled_dsp(int32_t doubled, const tg_requant_t *r, int32_t q)
{
    const int32_t twice = tg_requantize_twice_dsp(doubled, r->multipliers[q], r->offset_rounding, r->rounding_shifts[q]);
    return (int8_t)tg_clamp_i32(twice >> 1, r->clamp.act_min, r->clamp.act_max);
}

/* The accumulator of output channel q requantized, moved to the output zero point and clamped. */
static inline int8_t tg_requantize_dsp(int32_t acc, const tg_requant_t *r, int32_t q)
{
    return tg_requantize_doubled_dsp(tg_shift_left_i32(acc, 1), r, q);
}

#endif /* TG_REQUANT_DSP_H */
