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

/* For a function whose loop needs nearly every register: gcc's scheduling before register allocation would
 * load early what the loop uses late, and spill; with the loads in the order the source gives them it needs
 * no more registers than the core has. Only where the instructions are the DSP ones (the host's C models
 * need no such care). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(__clang__)
#define TG_LOADS_IN_SOURCE_ORDER __attribute__((optimize("no-schedule-insns")))
#else
#define TG_LOADS_IN_SOURCE_ORDER
#endif

/* Four bytes from any address, as one word (LDR: unaligned access is allowed on Armv7-M). */
static inline uint32_t tg_load_u32(const int8_t *p)
{
    uint32_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

/* Four bytes to any address, as one word (STR). */
static inline void tg_store_u32(int8_t *p, uint32_t word)
{
    memcpy(p, &word, sizeof word);
}

#ifdef __ARM_FEATURE_DSP

/* SSAT #8: x saturated to [-128, 127]. */
static inline int32_t tg_ssat8(int32_t x) { return __ssat(x, 8); }

/* SSAT #8 with its own shift: x >> 1 (rounding down) saturated to [-128, 127], one instruction. */
static inline int32_t tg_ssat8_halved(int32_t x)
{
    int32_t result;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(result) : "r"(x));
    return result;
}

/* SXTAB: acc + byte k (a constant) of word, sign-extended. */
__attribute__((always_inline)) static inline int32_t tg_sxtab(int32_t acc, uint32_t word, int k)
{
    int32_t result;
    if (k == 0) {
        return acc + (int8_t)word;      /* gcc's own SXTAB; ROR #0 does not assemble */
    }
    __asm__("sxtab %0, %1, %2, ror %3" : "=r"(result) : "r"(acc), "r"(word), "n"(8 * k));
    return result;
}

/* BFI: word with its byte k (a constant) replaced by the low byte of value. */
__attribute__((always_inline)) static inline uint32_t tg_insert_byte(uint32_t word, int32_t value, int k)
{
    __asm__("bfi %0, %1, %2, #8" : "+r"(word) : "r"(value), "n"(8 * k));
    return word;
}

/* SSUB8 then SEL: each byte the larger of x's and y's, both signed. One asm statement: SEL reads the
 * GE flags SSUB8 sets. */
static inline uint32_t tg_max_s8x4(uint32_t x, uint32_t y)
{
    uint32_t result;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(result) : "r"(x), "r"(y) : "cc");
    return result;
}

/* Each byte the smaller of x's and y's, both signed. */
static inline uint32_t tg_min_s8x4(uint32_t x, uint32_t y)
{
    uint32_t result;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(result) : "r"(x), "r"(y) : "cc");
    return result;
}

/* LDRD with post-increment: the two words at p (word-aligned) into first and second; returns p + 8 bytes
 * (gcc for Cortex-M4 emits two LDRs and an add instead). The asm reads the 8 bytes as bytes, so that it sees
 * the stores of any type before it (as memcpy would). */
static inline const void *tg_load_2u32_advance(const void *p, uint32_t *first, uint32_t *second)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*first), "=r"(*second), "+r"(p) : "m"(*(const uint8_t(*)[8])p));
    return p;
}

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

/* SXTAB16: a plus bytes 0 and 2 of x sign-extended, each halfword its own sum modulo 2^16. */
static inline uint32_t tg_sxtab16(uint32_t a, uint32_t x) { return (uint32_t)__sxtab16((int32_t)a, (int32_t)x); }

/* SXTAB16 with x rotated right by 8: a plus bytes 1 and 3 of x sign-extended, halfword by halfword. */
static inline uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t result;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(result) : "r"(a), "r"(x));
    return result;
}

/* SMLAD: acc + x.lo * y.lo + x.hi * y.hi, halfwords signed, the sum modulo 2^32. */
static inline int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)y, acc);
}

/* SMLATB: acc + x.hi * y.lo, halfwords signed, modulo 2^32. */
static inline int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc) { return __smlatb((int32_t)x, (int32_t)y, acc); }

/* PKHBT: low halfword of lo, then the low halfword of hi (gcc emits UXTH and ORR instead). */
static inline uint32_t tg_pack_halfwords(int32_t lo, int32_t hi)
{
    uint32_t result;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(result) : "r"(lo), "r"(hi));
    return result;
}

/* SMMLAR: acc + the high word of a * b, rounded: (acc * 2^32 + a * b + 2^31) >> 32. Not in ACLE. */
static inline int32_t tg_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t result;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(result) : "r"(a), "r"(b), "r"(acc));
    return result;
}

/* SMLABB: acc + x.lo * y.lo, halfwords signed, modulo 2^32. */
static inline int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb((int32_t)x, (int32_t)y, acc); }

/* SMLATT: acc + x.hi * y.hi, halfwords signed, modulo 2^32. */
static inline int32_t tg_smlatt(uint32_t x, uint32_t y, int32_t acc) { return __smlatt((int32_t)x, (int32_t)y, acc); }

/* SMMLAR with acc lowered by 1 where a is negative: ADD (a's sign by ASR #31) and SMMLAR in one asm
 * statement, as gcc would otherwise take the sign from a's source with SBFX and ADD. */
static inline int32_t tg_smmlar_signed(int32_t a, int32_t b, int32_t acc)
{
    int32_t result;
    __asm__("add %0, %3, %1, asr #31\n\tsmmlar %0, %1, %2, %0" : "=&r"(result) : "r"(a), "r"(b), "r"(acc));
    return result;
}

/* tg_smmlar_signed(a, b, 0), the sign by ASR #31 alone: no register held at 0 for the accumulator. */
static inline int32_t tg_smmlar_sign(int32_t a, int32_t b)
{
    int32_t result;
    __asm__("asr %0, %1, #31\n\tsmmlar %0, %1, %2, %0" : "=&r"(result) : "r"(a), "r"(b));
    return result;
}

#else

static inline const void *tg_load_2u32_advance(const void *p, uint32_t *first, uint32_t *second)
{
    memcpy(first, p, sizeof *first);
    memcpy(second, (const uint8_t *)p + 4, sizeof *second);
    return (const uint8_t *)p + 8;
}

static inline uint32_t tg_sign_extend_byte_to_halfword(uint32_t byte)
{
    return (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)byte;
}

/* x rotated right by 8 bits: the operand rotation of SXTB16 and SXTAB16. */
static inline uint32_t tg_ror8(uint32_t x) { return (x >> 8) | (x << 24); }

static inline uint32_t tg_sxtb16(uint32_t x)
{
    return tg_sign_extend_byte_to_halfword(x) | (tg_sign_extend_byte_to_halfword(x >> 16) << 16);
}

static inline uint32_t tg_sxtb16_ror8(uint32_t x) { return tg_sxtb16(tg_ror8(x)); }

static inline uint32_t tg_sxtab16(uint32_t a, uint32_t x)
{
    const uint32_t low = (a + tg_sign_extend_byte_to_halfword(x)) & 0xFFFFu;
    const uint32_t high = ((a >> 16) + tg_sign_extend_byte_to_halfword(x >> 16)) & 0xFFFFu;
    return low | (high << 16);
}

static inline uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x) { return tg_sxtab16(a, tg_ror8(x)); }

static inline int32_t tg_signed_halfword(uint32_t x) { return (int32_t)(int16_t)(uint16_t)x; }

static inline int32_t tg_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }

static inline int32_t tg_ssat8_halved(int32_t x) { return tg_ssat8(x >> 1); }

static inline uint32_t tg_insert_byte(uint32_t word, int32_t value, int k)
{
    const uint32_t mask = 0xFFu << 8 * k;
    return (word & ~mask) | (((uint32_t)value << 8 * k) & mask);
}

/* Byte k of x as a signed value. */
static inline int32_t tg_signed_byte(uint32_t x, int k) { return (int32_t)(int8_t)(uint8_t)(x >> (8 * k)); }

static inline int32_t tg_sxtab(int32_t acc, uint32_t word, int k) { return acc + tg_signed_byte(word, k); }

static inline uint32_t tg_max_s8x4(uint32_t x, uint32_t y)
{
    uint32_t result = 0;
    for (int k = 0; k < 4; ++k) {
        const int32_t a = tg_signed_byte(x, k), b = tg_signed_byte(y, k);
        result |= (uint32_t)(uint8_t)(a > b ? a : b) << (8 * k);
    }
    return result;
}

static inline uint32_t tg_min_s8x4(uint32_t x, uint32_t y)
{
    uint32_t result = 0;
    for (int k = 0; k < 4; ++k) {
        const int32_t a = tg_signed_byte(x, k), b = tg_signed_byte(y, k);
        result |= (uint32_t)(uint8_t)(a < b ? a : b) << (8 * k);
    }
    return result;
}

static inline int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    const int32_t low = tg_signed_halfword(x) * tg_signed_halfword(y);
    const int32_t high = tg_signed_halfword(x >> 16) * tg_signed_halfword(y >> 16);
    /* Each product fits int32; the sum wraps as the instruction's does (it only sets the Q flag). */
    return (int32_t)((uint32_t)acc + (uint32_t)low + (uint32_t)high);
}


static inline int32_t tg_smmlar(int32_t a, int32_t b, int32_t acc)
{
    const uint64_t sum = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * b) + (1u << 31);
    return (int32_t)(uint32_t)(sum >> 32);
}

static inline int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg_signed_halfword(x) * tg_signed_halfword(y)));
}

static inline int32_t tg_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg_signed_halfword(x >> 16) * tg_signed_halfword(y >> 16)));
}

static inline int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc) { return tg_smlabb(x >> 16, y, acc); }

static inline uint32_t tg_pack_halfwords(int32_t lo, int32_t hi) { return (uint16_t)lo | (uint32_t)hi << 16; }

static inline int32_t tg_smmlar_signed(int32_t a, int32_t b, int32_t acc) { return tg_smmlar(a, b, acc) + (a >> 31); }

static inline int32_t tg_smmlar_sign(int32_t a, int32_t b) { return tg_smmlar_signed(a, b, 0); }

#endif /* __ARM_FEATURE_DSP */

#endif /* TG_ACLE_H */
