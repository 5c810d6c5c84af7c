/* MUL, int8, two inputs of one shape (tg_mul_same_shape_params_t), portable C.
 *
 * Chosen at generation time (tinygen/compiler/ops/elementwise.py) for MUL layers without broadcast
 * whose requantization fits tg_rescale_dsp; other MUL layers run tg_mul_s8. The arithmetic, and why it
 * is TFLM's: tg_same_shape.h. */
#include "tg_same_shape.h"

void tg_mul_same_shape_s8(const tg_mul_same_shape_params_t *p, const int8_t *input1, const int8_t *input2,
                          int8_t *output)
{
    const tg_mul_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    tg_same_shape_elements(&params.elements, &params, tg_mul_same_shape_value, 0, input1, input2, output);
}
