/* int8 outputs four to a word, for the DSP element-wise kernels (tg_add_s8_dsp.c, tg_mul_s8_dsp.c):
 * four values saturated to int8 (SSAT), packed into one word (BFI), and clamped to the activation
 * together (SSUB8 and SEL), one store for the four. */
#ifndef TG_BYTES_DSP_H
#define TG_BYTES_DSP_H

#include "tg_acle.h"

/* x's low byte in all four bytes. */
static inline uint32_t tg_replicated_byte(int32_t x)
{
    return (uint32_t)(uint8_t)x * 0x01010101u;
}

/* v[k] saturated to int8 in byte k. */
static inline uint32_t tg_saturated_bytes(int32_t v0, int32_t v1, int32_t v2, int32_t v3)
{
    uint32_t word = (uint32_t)tg_ssat8(v0);
    word = tg_insert_byte(word, tg_ssat8(v1), 1);
    word = tg_insert_byte(word, tg_ssat8(v2), 2);
    return tg_insert_byte(word, tg_ssat8(v3), 3);
}

/* Each byte of word, signed, clamped to the bytes of lowest and highest (tg_replicated_byte). */
static inline uint32_t tg_clamp_bytes(uint32_t word, uint32_t lowest, uint32_t highest)
{
    return tg_min_s8x4(tg_max_s8x4(word, lowest), highest);
}

#endif /* TG_BYTES_DSP_H */
