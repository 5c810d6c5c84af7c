/* ADD, int8, two inputs of one shape (tg_add_same_shape_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension in place of
 * tg_add_same_shape_s8; the arithmetic, and why it is TFLM's: tg_add_same_shape.h. Four elements at a
 * time: a word of each input, the four outputs saturated to int8 (SSAT), packed into a word (BFI) and
 * clamped to the activation together (SSUB8 and SEL). */
#include "tg_add_same_shape.h"

/* x's low byte in all four bytes. */
static inline uint32_t replicated_byte(int32_t x)
{
    return (uint32_t)(uint8_t)x * 0x01010101u;
}

/* The output for byte k of each input word (SXTAB adds the offsets), saturated to int8. */
static inline int32_t saturated_value(const tg_add_same_shape_params_t *p, uint32_t exact4, uint32_t scaled4, int k)
{
    return tg_ssat8(tg_add_same_shape_value(p, tg_sxtab(p->exact_offset, exact4, k),
                                            tg_sxtab(p->scaled_offset, scaled4, k)));
}

void tg_add_s8_dsp(const tg_add_same_shape_params_t *p, const int8_t *exact, const int8_t *scaled, int8_t *output)
{
    const tg_add_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    const uint32_t lowest = replicated_byte(params.act_min), highest = replicated_byte(params.act_max);
    for (int32_t words = params.size / 4; words > 0; --words) {
        const uint32_t exact4 = tg_load_u32(exact), scaled4 = tg_load_u32(scaled);
        uint32_t output4 = (uint32_t)saturated_value(&params, exact4, scaled4, 0);
        output4 = tg_insert_byte(output4, saturated_value(&params, exact4, scaled4, 1), 1);
        output4 = tg_insert_byte(output4, saturated_value(&params, exact4, scaled4, 2), 2);
        output4 = tg_insert_byte(output4, saturated_value(&params, exact4, scaled4, 3), 3);
        tg_store_u32(output, tg_min_s8x4(tg_max_s8x4(output4, lowest), highest));
        exact += 4;
        scaled += 4;
        output += 4;
    }
    for (int32_t i = 0; i < params.size % 4; ++i) {
        const int32_t value = tg_add_same_shape_value(&params, exact[i] + params.exact_offset,
                                                      scaled[i] + params.scaled_offset);
        output[i] = (int8_t)tg_clamp_i32(value, params.act_min, params.act_max);
    }
}
