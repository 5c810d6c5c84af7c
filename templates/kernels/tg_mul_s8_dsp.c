/* MUL, int8, two inputs of one shape (tg_mul_same_shape_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension in place of
 * tg_mul_same_shape_s8; the arithmetic, and why it is TFLM's: tg_same_shape.h. Four elements at a
 * time (tg_bytes_dsp.h). */
#include "tg_bytes_dsp.h"

void tg_mul_s8_dsp(const tg_mul_same_shape_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const tg_mul_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    const int32_t done = tg_same_shape_words(&params.elements, &params, tg_mul_same_shape_value, input1, input2, output);
    tg_same_shape_elements(&params.elements, &params, tg_mul_same_shape_value, done, input1, input2, output);
}
