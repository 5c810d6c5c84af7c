/* ADD, int8, two inputs of one shape (tg_add_same_shape_params_t), portable C.
 *
 * Chosen at generation time (tinygen/compiler/ops/elementwise.py) for ADD layers without broadcast
 * whose rescalings fit tg_rescale_dsp; other ADD layers run tg_add_s8. The arithmetic, and why it is
 * TFLM's: tg_same_shape.h. */
#include "tg_same_shape.h"

void tg_add_same_shape_s8(const tg_add_same_shape_params_t *p, const int8_t *exact, const int8_t *scaled,
                          int8_t *output)
{
    const tg_add_same_shape_params_t params = *p;     /* in registers: the int8 stores could alias *p */
    tg_same_shape_elements(&params.elements, &params, tg_add_same_shape_value, 0, exact, scaled, output);
}
