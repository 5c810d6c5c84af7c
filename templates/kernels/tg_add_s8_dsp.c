/* ADD, int8, two inputs of one shape (tg_add_same_shape_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension in place of
 * tg_add_same_shape_s8; the arithmetic, and why it is TFLM's: tg_same_shape.h. Four elements at a
 * time: a word of each input, SXTAB taking each byte with its offset added, and a word of output
 * (tg_bytes_dsp.h). */
#include "tg_same_shape.h"
#include "tg_bytes_dsp.h"

/* The output for byte k of each input word, SXTAB adding the offsets. */
static inline int32_t word_value(const tg_add_same_shape_params_t *p, uint32_t exact4, uint32_t scaled4, int k)
{
    return tg_add_same_shape_value(p, tg_sxtab(p->exact_offset, exact4, k), tg_sxtab(p->scaled_offset, scaled4, k));
}

void tg_add_s8_dsp(const tg_add_same_shape_params_t *p, const int8_t *exact, const int8_t *scaled, int8_t *output)
{
    const tg_add_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    const uint32_t lowest = tg_replicated_byte(params.act_min), highest = tg_replicated_byte(params.act_max);
    for (int32_t words = params.size / 4; words > 0; --words) {
        const uint32_t exact4 = tg_load_u32(exact), scaled4 = tg_load_u32(scaled);
        const uint32_t output4 = tg_saturated_bytes(word_value(&params, exact4, scaled4, 0),
                                                    word_value(&params, exact4, scaled4, 1),
                                                    word_value(&params, exact4, scaled4, 2),
                                                    word_value(&params, exact4, scaled4, 3));
        tg_store_u32(output, tg_clamp_bytes(output4, lowest, highest));
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
