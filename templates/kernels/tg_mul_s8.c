/* MUL, int8, with broadcasting: the product of the offset inputs, requantized to the output (TFLM
 * reference arithmetic). Portable C, any core: chosen by compiler/ops/elementwise.py for MUL layers that
 * broadcast an input or whose requantization the same-shape kernels (tg_mul_same_shape_s8.c,
 * tg_mul_s8_dsp.c) cannot compute. */
#include "tg_broadcast.h"
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_mul_s8(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t size = tg_broadcast_size(&p->shape);
    tg_broadcast_cursor_t cursor = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t product = (p->input1_offset + input1[cursor.offset1]) * (p->input2_offset + input2[cursor.offset2]);
        output[i] = tg_requantize_clamp_s8(product, p->output.multiplier, p->output.shift, p->output.output_offset,
                                           p->output.clamp);
        tg_broadcast_next(&p->shape, &cursor);
    }
}
