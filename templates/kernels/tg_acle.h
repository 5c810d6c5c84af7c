/* The Armv7E-M DSP instructions the _dsp kernels use, as tinygen functions.
 *
 * With __ARM_FEATURE_DSP (Cortex-M4, M7, M33, M55 under arm-none-eabi-gcc) each is the instruction
 * itself, through <arm_acle.h> or one line of inline assembly. Without it each is an exact C model
 * of the instruction as the Armv7-M Architecture Reference Manual defines it, so that the host build
 * runs the same kernel source and the op sweep proves the _dsp kernels bit-exact there too. */
#ifndef TG_ACLE_H
#define TG_ACLE_H

#include <stdint.h>
#include <string.h>

#ifdef __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif

/* Four bytes from any address, as one word (LDR: unaligned access is allowed on Armv7-M). */
static inline uint32_t tg_load_u32(const int8_t *p)
{
    uint32_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

#ifdef __ARM_FEATURE_DSP

/* SXTB16: bytes 0 and 2 of x, each sign-extended to a halfword. */
static inline uint32_t tg_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int32_t)x); }

/* SXTB16 with its operand rotated right by 8: bytes 1 and 3 of x, each sign-extended to a
 * halfword. gcc 12's arm_acle.h has no __ror, and gcc does not fuse a rotate into SXTB16. */
static inline uint32_t tg_sxtb16_ror8(uint32_t x)
{
    uint32_t result;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(result) : "r"(x));
    return result;
}

/* SMLAD: acc + x.lo * y.lo + x.hi * y.hi, halfwords signed, the sum modulo 2^32. */
static inline int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)y, acc);
}

/* SMLABB: acc + x.lo * y.lo; SMLATB: acc + x.hi * y.lo. Halfwords signed, the sum modulo 2^32. */
static inline int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb((int32_t)x, (int32_t)y, acc); }
static inline int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc) { return __smlatb((int32_t)x, (int32_t)y, acc); }

/* SMMLAR: acc + the high word of a * b, rounded: (acc * 2^32 + a * b + 2^31) >> 32. Not in ACLE. */
static inline int32_t tg_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t result;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(result) : "r"(a), "r"(b), "r"(acc));
    return result;
}

#else

static inline uint32_t tg_sign_extend_byte_to_halfword(uint32_t byte)
{
    return (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)byte;
}

static inline uint32_t tg_sxtb16(uint32_t x)
{
    return tg_sign_extend_byte_to_halfword(x) | (tg_sign_extend_byte_to_halfword(x >> 16) << 16);
}

static inline uint32_t tg_sxtb16_ror8(uint32_t x) { return tg_sxtb16((x >> 8) | (x << 24)); }

static inline int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    const int32_t low = (int32_t)(int16_t)(uint16_t)x * (int32_t)(int16_t)(uint16_t)y;
    const int32_t high = (int32_t)(int16_t)(uint16_t)(x >> 16) * (int32_t)(int16_t)(uint16_t)(y >> 16);
    /* Each product fits int32; the sum wraps as the instruction's does (it only sets the Q flag). */
    return (int32_t)((uint32_t)acc + (uint32_t)low + (uint32_t)high);
}

static inline int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    const int32_t product = (int32_t)(int16_t)(uint16_t)x * (int32_t)(int16_t)(uint16_t)y;
    return (int32_t)((uint32_t)acc + (uint32_t)product);
}

static inline int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc) { return tg_smlabb(x >> 16, y, acc); }

static inline int32_t tg_smmlar(int32_t a, int32_t b, int32_t acc)
{
    const uint64_t sum = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * b) + (1u << 31);
    return (int32_t)(uint32_t)(sum >> 32);
}

#endif /* __ARM_FEATURE_DSP */

#endif /* TG_ACLE_H */
