/* int8 elements four to a word, for the DSP element-wise kernels (tg_add_s8_dsp.c, tg_mul_s8_dsp.c):
 * a word of each input, SXTAB taking each byte with its offset added; the four outputs saturated to
 * int8 (SSAT), packed into one word (BFI), and clamped to the activation together (SSUB8 and SEL), one
 * store for the four. */
#ifndef TG_BYTES_DSP_H
#define TG_BYTES_DSP_H

#include "tg_acle.h"
#include "tg_same_shape.h"

/* x's low byte in all four bytes. */
static inline uint32_t tg_replicated_byte(int32_t x)
{
    return (uint32_t)(uint8_t)x * 0x01010101u;
}

/* v[k], in [-128, 127] already, in byte k. */
static inline uint32_t tg_packed_bytes(int32_t v0, int32_t v1, int32_t v2, int32_t v3)
{
    uint32_t word = (uint32_t)v0;
    word = tg_insert_byte(word, v1, 1);
    word = tg_insert_byte(word, v2, 2);
    return tg_insert_byte(word, v3, 3);
}

/* v[k] saturated to int8 in byte k. */
static inline uint32_t tg_saturated_bytes(int32_t v0, int32_t v1, int32_t v2, int32_t v3)
{
    return tg_packed_bytes(tg_ssat8(v0), tg_ssat8(v1), tg_ssat8(v2), tg_ssat8(v3));
}

/* Each byte of word, signed, clamped to the bytes of lowest and highest (tg_replicated_byte). */
static inline uint32_t tg_clamp_bytes(uint32_t word, uint32_t lowest, uint32_t highest)
{
    return tg_min_s8x4(tg_max_s8x4(word, lowest), highest);
}

/* The `words` words of int8 at out clamped to clamp's range, four bytes at once. */
static inline void tg_clamp_words(const tg_clamp_t *clamp, int8_t *out, int32_t words)
{
    const uint32_t lowest = tg_replicated_byte(clamp->act_min), highest = tg_replicated_byte(clamp->act_max);
    for (int8_t *const end = out + 4 * words; out != end; out += 4) {
        tg_store_u32(out, tg_clamp_bytes(tg_load_u32(out), lowest, highest));
    }
}

/* The output for byte k of each input word. */
__attribute__((always_inline)) static inline int32_t tg_word_value(const tg_same_shape_t *e, const void *params,
                                                                  tg_pair_value_t *value, uint32_t input1_4,
                                                                  uint32_t input2_4, int k)
{
    return value(params, tg_sxtab(e->input1_offset, input1_4, k), tg_sxtab(e->input2_offset, input2_4, k));
}

/* The whole words of the output, four elements at a time (tg_same_shape_elements does the rest); returns
 * the elements done. */
__attribute__((always_inline)) static inline int32_t tg_same_shape_words(const tg_same_shape_t *e, const void *params,
                                                                        tg_pair_value_t *value, const int8_t *input1,
                                                                        const int8_t *input2, int8_t *output)
{
    const uint32_t lowest = tg_replicated_byte(e->clamp.act_min), highest = tg_replicated_byte(e->clamp.act_max);
    for (int32_t words = e->size / 4; words > 0; --words) {
        const uint32_t input1_4 = tg_load_u32(input1), input2_4 = tg_load_u32(input2);
        const uint32_t output4 = tg_saturated_bytes(tg_word_value(e, params, value, input1_4, input2_4, 0),
                                                    tg_word_value(e, params, value, input1_4, input2_4, 1),
                                                    tg_word_value(e, params, value, input1_4, input2_4, 2),
                                                    tg_word_value(e, params, value, input1_4, input2_4, 3));
        tg_store_u32(output, tg_clamp_bytes(output4, lowest, highest));
        input1 += 4;
        input2 += 4;
        output += 4;
    }
    return e->size & ~3;
}

#endif /* TG_BYTES_DSP_H */
