/* MUL, int8, two inputs of one shape (tg_mul_same_shape_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension in place of
 * tg_mul_same_shape_s8; the arithmetic, and why it is TFLM's: tg_same_shape.h. Four elements at a
 * time: a word of each input, SXTAB taking each byte with its offset added, and a word of output
 * (tg_bytes_dsp.h). */
#include "tg_bytes_dsp.h"
#include "tg_same_shape.h"

/* The output for byte k of each input word. */
static inline int32_t word_value(const tg_mul_same_shape_params_t *p, uint32_t input1_4, uint32_t input2_4, int k)
{
    return tg_mul_same_shape_value(p, tg_sxtab(p->input1_offset, input1_4, k), tg_sxtab(p->input2_offset, input2_4, k));
}

void tg_mul_s8_dsp(const tg_mul_same_shape_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const tg_mul_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    const uint32_t lowest = tg_replicated_byte(params.act_min), highest = tg_replicated_byte(params.act_max);
    for (int32_t words = params.size / 4; words > 0; --words) {
        const uint32_t input1_4 = tg_load_u32(input1), input2_4 = tg_load_u32(input2);
        const uint32_t output4 = tg_saturated_bytes(word_value(&params, input1_4, input2_4, 0),
                                                    word_value(&params, input1_4, input2_4, 1),
                                                    word_value(&params, input1_4, input2_4, 2),
                                                    word_value(&params, input1_4, input2_4, 3));
        tg_store_u32(output, tg_clamp_bytes(output4, lowest, highest));
        input1 += 4;
        input2 += 4;
        output += 4;
    }
    for (int32_t i = 0; i < params.size % 4; ++i) {
        const int32_t value = tg_mul_same_shape_value(&params, input1[i] + params.input1_offset,
                                                      input2[i] + params.input2_offset);
        output[i] = (int8_t)tg_clamp_i32(value, params.act_min, params.act_max);
    }
}
