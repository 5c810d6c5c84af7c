/* ADD, int8, two inputs of one shape (tg_add_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension when the
 * inputs have the output's shape (no broadcast) and the requantizations meet tg_rescale_dsp's
 * conditions; other ADD layers keep tg_add_s8. Bit-exact with TFLM's arithmetic (tg_add_s8.c), which
 * the generator rearranges: TFLM rescales each input's (x + offset) * 2^20 by the ratio of its scale to
 * twice the larger one. For the input with the larger scale that ratio is 1/2, multiplier 2^30 and
 * shift 0, so its rescaled value is exactly (x + offset) * 2^19, a shift. The other input's rescaling
 * and the output's are tg_rescale_dsp (tg_requant_dsp.h), one SMMLAR each. When the scales are equal
 * the second input is exact too: the generator adds 256 to its offset, which makes the value positive
 * (tg_rescale_dsp then needs no right shift), and takes 256 * 2^19 back in the rounding constant. */
#include "tg_requant_dsp.h"

/* One output from the two input bytes, saturated to int8 but not yet clamped to the activation. */
static inline int32_t output_value(const tg_add_dsp_params_t *p, int32_t exact, int32_t scaled)
{
    const tg_rescale_t *s = &p->scaled, *o = &p->output;
    const int32_t scaled_value = tg_shift_left_i32(scaled + p->scaled_offset, 20);
    const int32_t sum = tg_shift_left_i32(exact + p->exact_offset, 19) +
                        tg_rescale_dsp(scaled_value, s->multiplier, s->rounding, s->right_shift);
    return tg_ssat8(tg_rescale_dsp(sum, o->multiplier, o->rounding, o->right_shift));
}

/* x's low byte in all four bytes. */
static inline uint32_t replicated_byte(int32_t x)
{
    return (uint32_t)(uint8_t)x * 0x01010101u;
}

void tg_add_s8_dsp(const tg_add_dsp_params_t *p, const int8_t *exact, const int8_t *scaled, int8_t *output)
{
    const tg_add_dsp_params_t params = *p;      /* in registers: the int8 stores could alias *p */
    const uint32_t lowest = replicated_byte(params.act_min), highest = replicated_byte(params.act_max);
    int32_t i = 0;
    for (; i + 4 <= params.size; i += 4) {     /* four elements: a word of each input, one of output */
        const uint32_t exact4 = tg_load_u32(exact + i), scaled4 = tg_load_u32(scaled + i);
        uint32_t output4 = (uint32_t)output_value(&params, (int8_t)exact4, (int8_t)scaled4);
        output4 = tg_insert_byte(output4, output_value(&params, (int8_t)(exact4 >> 8), (int8_t)(scaled4 >> 8)), 1);
        output4 = tg_insert_byte(output4, output_value(&params, (int8_t)(exact4 >> 16), (int8_t)(scaled4 >> 16)), 2);
        output4 = tg_insert_byte(output4, output_value(&params, (int8_t)(exact4 >> 24), (int8_t)(scaled4 >> 24)), 3);
        tg_store_u32(output + i, tg_min_s8x4(tg_max_s8x4(output4, lowest), highest));
    }
    for (; i < params.size; ++i) {
        output[i] = (int8_t)tg_clamp_i32(output_value(&params, exact[i], scaled[i]), params.act_min, params.act_max);
    }
}
