/* Fixed-point arithmetic shared by the kernels.
 *
 * These functions reproduce the integer arithmetic of TFLite's reference kernels (and the gemmlowp
 * fixed-point routines they use) exactly, rounding included: tinygen's outputs must equal the TFLM
 * runtime byte for byte. Values named "qN" are fixed-point numbers with N integer bits. */
#ifndef TG_FIXEDPOINT_H
#define TG_FIXEDPOINT_H

#include <stdint.h>

#include "tg_kernels.h"

static inline int32_t tg_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tg_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tg_clamp_i32(int32_t v, int32_t lo, int32_t hi) { return tg_min_i32(tg_max_i32(v, lo), hi); }

/* Shifts left with two's-complement wrap-around (no undefined behaviour on overflow). */
static inline int32_t tg_shift_left_i32(int32_t x, int shift) { return (int32_t)((uint32_t)x << shift); }

/* round(a * b / 2^31), saturating the single overflow case. */
static inline int32_t tg_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
#if defined(__ARM_ARCH_6M__)
    const uint32_t al = (uint32_t)a & 0xFFFFu, bl = (uint32_t)b & 0xFFFFu;
    const int32_t ah = a >> 16, bh = b >> 16;
    uint32_t lo = al * bl;
    int32_t hi = ah * bh;
    const int32_t cross1 = ah * (int32_t)bl, cross2 = (int32_t)al * bh;
    uint32_t add = (uint32_t)cross1 << 16;
    lo += add;
    hi += (cross1 >> 16) + (lo < add);
    add = (uint32_t)cross2 << 16;
    lo += add;
    hi += (cross2 >> 16) + (lo < add);
    lo += 1u << 30;
    hi += lo < (1u << 30);
    return (int32_t)(((uint32_t)hi << 1) | (lo >> 31));
#else
    const int64_t ab = (int64_t)a * (int64_t)b;
    return (int32_t)((ab + (1 << 30)) >> 31);
#endif
}

/* x / 2^exponent, rounded half away from zero. */
static inline int32_t tg_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift, with multiplier a Q31 number: TFLite's requantization step. */
static inline int32_t tg_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift)
{
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    return tg_rounding_divide_by_pot(tg_sat_rounding_doubling_high_mul(tg_shift_left_i32(x, left_shift), multiplier),
                                     right_shift);
}


/* floor((a * b + 2^30) / 2^31) for b >= 0. */
static inline int32_t tg_rounding_high_mul_nonnegative(int32_t a, int32_t b)
{
#if defined(__ARM_ARCH_6M__)
    /* Cortex-M0 has no 32x32->64 multiply (an int64 product is a library call): with a = ah * 2^16 + al
     * and b = bh * 2^16 + bl (al, bl, bh unsigned), the sum is 2 * ah * bh + floor(mid / 2^15), where
     * mid = ah * bl + al * bh + floor(al * bl / 2^16) + 2^14 needs 33 bits; its signed part
     * ah * bl (|.| < 2^31) is divided apart from the unsigned rest (< 2^31), its low 15 bits joining it. */
    const uint32_t al = (uint32_t)a & 0xFFFFu, bl = (uint32_t)b & 0xFFFFu;
    const int32_t ah = a >> 16, bh = b >> 16;
    const int32_t mid_signed = ah * (int32_t)bl;
    const uint32_t mid_unsigned = al * (uint32_t)bh + ((al * bl) >> 16) + (1u << 14);
    return (int32_t)((uint32_t)(2 * ah * bh) + (uint32_t)(mid_signed >> 15)
                     + ((((uint32_t)mid_signed & 0x7FFFu) + mid_unsigned) >> 15));
#else
    return (int32_t)(((int64_t)a * b + (1 << 30)) >> 31);
#endif
}

/* tg_multiply_by_quantized_multiplier for the multipliers tinygen generates (0 <= multiplier), in
 * fewer instructions and with the same result: the doubling high multiply cannot saturate (that needs
 * both factors INT32_MIN), and its division of ab + nudge by 2^31 rounding toward zero equals
 * floor((ab + 2^30) / 2^31) for either sign of ab (for ab < 0: trunc((ab + 1 - 2^30) / 2^31) is
 * ceil of that quotient, which is floor((ab + 1 - 2^30 + 2^31 - 1) / 2^31)). */
static inline int32_t tg_multiply_by_nonnegative_quantized_multiplier(int32_t x, int32_t multiplier, int shift)
{
    if (shift >= 0) {
        return tg_rounding_high_mul_nonnegative(tg_shift_left_i32(x, shift), multiplier);
    }
    /* One rounding for both steps: with n = -shift, the rounding division of h = floor((ab + 2^30) / 2^31)
     * is floor((h + 2^(n-1) - [h < 0]) / 2^n), and [h < 0] may be [x < 0] (they differ only where h = 0,
     * which both round to 0), so the result is floor((h + c) / 2^n) = floor((ab + 2^30 + c * 2^31) / 2^(31+n))
     * with c = 2^(n-1) - [x < 0] >= 0. */
    const uint32_t c = (1u << (-shift - 1)) - (uint32_t)(x < 0);
#if defined(__ARM_ARCH_6M__)
    /* h from 32-bit products; h's low n bits join c apart from the rest, so that no sum overflows. */
    const int32_t high = tg_rounding_high_mul_nonnegative(x, multiplier);
    return (high >> -shift) + (int32_t)((((uint32_t)high & ((1u << -shift) - 1u)) + c) >> -shift);
#else
    /* A multiply-accumulate's high word (2^30 and c * 2^31 share no bits), shifted. */
    const int64_t nudge = (int64_t)(((uint64_t)c << 31) | (1u << 30));
    return (int32_t)(((int64_t)x * multiplier + nudge) >> 32) >> (-shift - 1);
#endif
}

/* An accumulator to int8: requantized (multiplier >= 0, as every multiplier tinygen generates), moved to
 * the output zero point and clamped to the activation. Every portable kernel that requantizes to int8
 * ends here. */
static inline int8_t tg_requantize_clamp_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                                            tg_clamp_t clamp)
{
    acc = tg_multiply_by_nonnegative_quantized_multiplier(acc, multiplier, shift);
    return (int8_t)tg_clamp_i32(acc + output_offset, clamp.act_min, clamp.act_max);
}

/* x * 2^exponent: saturating for exponent > 0, rounding for exponent < 0. */
static inline int32_t tg_saturating_rounding_mul_by_pot(int32_t x, int exponent)
{
    if (exponent > 0) {
        const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
        if (x > threshold) {
            return INT32_MAX;
        }
        if (x < -threshold) {
            return INT32_MIN;
        }
        return tg_shift_left_i32(x, exponent);
    }
    return exponent < 0 ? tg_rounding_divide_by_pot(x, -exponent) : x;
}

/* (a + b) / 2, rounded half away from zero, without overflow. */
static inline int32_t tg_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), q0 in and out: Taylor series around -1/8. */
static inline int32_t tg_exp_on_interval_neg_quarter_to_0(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28);
    const int32_t x2 = tg_sat_rounding_doubling_high_mul(x, x);
    const int32_t x3 = tg_sat_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = tg_sat_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = tg_rounding_divide_by_pot(x4, 2);
    const int32_t series = tg_rounding_divide_by_pot(
        tg_sat_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + tg_sat_rounding_doubling_high_mul(exp_minus_one_eighth, x + series);
}

/* exp(a) for a <= 0 given with integer_bits (at most 5) integer bits; result in q0. */
static inline int32_t tg_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* exp(-2^k) in q0, for k = -2 .. 4. */
    static const int32_t exp_of_minus_pot[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = tg_exp_on_interval_neg_quarter_to_0(
        tg_saturating_rounding_mul_by_pot(a_mod_quarter_minus_one_quarter, integer_bits));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    for (int k = -2; k <= 4 && k < integer_bits; ++k) {
        if (remainder & ((int32_t)1 << (fractional_bits + k))) {
            result = tg_sat_rounding_doubling_high_mul(result, exp_of_minus_pot[k + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson for 1/(2*half_denominator), half_denominator in q0; result in q2. */
static inline int32_t tg_newton_reciprocal_q2(int32_t half_denominator)
{
    const int32_t forty_eight_over_17 = 1515870810;
    const int32_t minus_thirty_two_over_17 = -1010580540;
    const int32_t one_q2 = 1 << 29;
    int32_t x = forty_eight_over_17 + tg_sat_rounding_doubling_high_mul(half_denominator, minus_thirty_two_over_17);
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus_half_denominator_times_x =
            one_q2 - tg_sat_rounding_doubling_high_mul(half_denominator, x);
        x = x + tg_saturating_rounding_mul_by_pot(tg_sat_rounding_doubling_high_mul(x, one_minus_half_denominator_times_x), 2);
    }
    return x;
}

/* 1 / (1 + x) for x in [0, 1), q0 in and out. */
static inline int32_t tg_one_over_one_plus_x(int32_t x)
{
    return tg_saturating_rounding_mul_by_pot(tg_newton_reciprocal_q2(tg_rounding_half_sum(x, INT32_MAX)), 1);
}

/* (1 - x) / (1 + x) for x in [0, 1), q0 in and out. */
static inline int32_t tg_one_minus_x_over_one_plus_x(int32_t x)
{
    return tg_saturating_rounding_mul_by_pot(tg_newton_reciprocal_q2(tg_rounding_half_sum(x, INT32_MAX)) - (1 << 29), 2);
}

/* Rounds half away from zero like C's round(), without libm; |v| is first limited to 2^31. */
static inline double tg_round_half_away(double v)
{
    const double limit = 2147483648.0;
    v = v > limit ? limit : (v < -limit ? -limit : v);
    const double truncated = (double)(int64_t)v;
    const double fraction = v - truncated;
    if (fraction >= 0.5) {
        return truncated + 1.0;
    }
    return fraction <= -0.5 ? truncated - 1.0 : truncated;
}

#endif /* TG_FIXEDPOINT_H */
